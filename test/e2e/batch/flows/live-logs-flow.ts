import { FlowSpec, parameter, step } from 'stepflow';

/**
 * A step that prints while it runs (no decorator: run it with `--with batch` to send it to AWS Batch, or
 * without for the local baseline). `every` 0: one line, then it waits `seconds`; else a `tick <ms>` line
 * every `every` ms for `seconds`.
 */
export default class LiveLogsFlow extends FlowSpec {
  @parameter({ help: 'how long the work step runs (s)' }) seconds = 10;
  @parameter({ help: 'ms between tick lines (0: one line)' }) every = 0;

  @step start() {
    this.next(this.work);
  }

  @step async work() {
    const end = Date.now() + this.seconds * 1000;
    if (this.every <= 0) {
      console.log(`live line printed at ${Date.now()}`);
      await new Promise((r) => setTimeout(r, this.seconds * 1000));
    } else {
      while (Date.now() < end) {
        console.log(`tick ${Date.now()}`);
        await new Promise((r) => setTimeout(r, this.every));
      }
    }
    console.log('work done');
    this.next(this.end);
  }

  @step end() {}
}
