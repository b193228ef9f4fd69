/**
 * Reading a job's CloudWatch Logs stream (the fallback when the task's own logs are not whole, see
 * cloudwatch-fallback.ts): GetLogEvents from the head, page after page with the forward token, so each line is
 * pushed once and in order.
 *
 * @module
 */

import { errorMessage } from '../../../common/index.js';
import type { BatchApi } from '../aws.js';

/**
 * The log group AWS Batch writes to by default (awslogs driver without an `awslogs-group` option).
 *
 * @example
 * ```ts
 * new LogFollower(api, DEFAULT_LOG_GROUP, (line) => console.log(line));
 * ```
 */
export const DEFAULT_LOG_GROUP = '/aws/batch/job';

/**
 * Reads one log stream incrementally.
 *
 * @example
 * ```ts
 * const logs = new LogFollower(api, '/aws/batch/job', (line) => stdout.write(`${line}\n`));
 * await logs.drain(streamName); // after the job ended, when the task's own logs are not whole
 * ```
 */
export class LogFollower {
  private token: string | undefined;

  constructor(
    private readonly api: Pick<BatchApi, 'getLogEvents'>,
    private readonly group: string,
    private readonly push: (line: string) => void,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  /** Reads to the end (retrying a stream that does not exist yet). */
  async drain(stream: string, retries = 1, delayMs = 1000): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.read(stream);
        return;
      } catch (err) {
        if (attempt >= retries) {
          this.onError(`reading log stream ${stream}: ${errorMessage(err)}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  private async read(stream: string): Promise<void> {
    for (;;) {
      const page = await this.api.getLogEvents({
        logGroupName: this.group,
        logStreamName: stream,
        startFromHead: true,
        ...(this.token ? { nextToken: this.token } : {}),
      });
      for (const event of page.events ?? []) this.push(event.message ?? '');
      const next = page.nextForwardToken;
      if (!next || next === this.token) return;
      this.token = next;
      if ((page.events ?? []).length === 0) return;
    }
  }
}
