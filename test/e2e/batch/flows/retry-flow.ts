import { batch, current, FlowSpec, retry, step } from 'stepflow';

/** A `@batch` step that fails on its first attempt and succeeds on its retry (a new job). */
export default class RetryFlow extends FlowSpec {
  declare attempts: number;

  @step start() {
    this.next(this.flaky);
  }

  @retry({ times: 1, minutesBetweenRetries: 0 })
  @batch({ cpu: 1, memory: 512 })
  @step
  flaky() {
    console.log(`flaky attempt ${current.retryCount}`);
    if (current.retryCount === 0) throw new Error('flaky fails on its first attempt');
    this.attempts = current.retryCount + 1;
    this.next(this.end);
  }

  @step end() {
    console.log(`end after ${this.attempts} attempts`);
  }
}
