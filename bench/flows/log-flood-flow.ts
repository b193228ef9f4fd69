import { once } from 'node:events';
import { FlowSpec, parameter, step } from 'stepflow';

/**
 * A step printing `mib` MiB of 1 KiB numbered lines to stdout (the logs benchmark), 64 lines per write,
 * waiting for stdout to drain as a well-behaved chatty program does (a synchronous loop of writes would
 * only fill this process's own memory).
 */
export default class LogFloodFlow extends FlowSpec {
  @parameter({ help: 'MiB of output to print' }) mib = 16;

  @step async start() {
    const pad = 'x'.repeat(1024 - 10);
    let line = 0;
    for (let chunk = 0; chunk < this.mib * 16; chunk++) {
      let text = '';
      for (let i = 0; i < 64; i++) text += `${String(line++).padStart(9, '0')}${pad}\n`;
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    }
    this.next(this.end);
  }

  @step end() {}
}
