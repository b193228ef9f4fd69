import { FlowSpec, parameter, step } from 'stepflow';

/** A step printing `mib` MiB of 1 KiB numbered lines to stdout (the logs benchmark). */
export default class LogFloodFlow extends FlowSpec {
  @parameter({ help: 'MiB of output to print' }) mib = 16;

  @step start() {
    const pad = 'x'.repeat(1024 - 10);
    for (let i = 0; i < this.mib * 1024; i++) process.stdout.write(`${String(i).padStart(9, '0')}${pad}\n`);
    this.next(this.end);
  }

  @step end() {}
}
