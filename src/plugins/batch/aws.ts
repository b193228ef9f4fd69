/**
 * The AWS Batch and CloudWatch Logs calls the launcher makes, behind a small interface ({@link BatchApi})
 * so tests can use a fake, and the real clients loaded lazily with `createRequire` (a local run never
 * loads the SDK). Endpoints come from the SDK's standard settings (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_BATCH`, ...). Every call is counted by kind ({@link CallCounts}), for the benchmark.
 *
 * @module
 */
import type {
  DescribeComputeEnvironmentsCommandInput,
  DescribeComputeEnvironmentsCommandOutput,
  DescribeJobDefinitionsCommandInput,
  DescribeJobDefinitionsCommandOutput,
  DescribeJobQueuesCommandInput,
  DescribeJobQueuesCommandOutput,
  DescribeJobsCommandInput,
  DescribeJobsCommandOutput,
  ListJobsCommandInput,
  ListJobsCommandOutput,
  RegisterJobDefinitionCommandInput,
  RegisterJobDefinitionCommandOutput,
  SubmitJobCommandInput,
  SubmitJobCommandOutput,
  TerminateJobCommandInput,
  TerminateJobCommandOutput,
} from '@aws-sdk/client-batch';
import type { GetLogEventsCommandInput, GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { AwsSdkMissingError, awsRegion, quietly, requireAwsPackage } from '../../aws/index.js';

/**
 * The AWS calls of the launcher (one method per API action, the SDK's input and output types).
 *
 * @example
 * ```ts
 * const api: BatchApi = sdkBatchApi();
 * const { jobs } = await api.describeJobs({ jobs: ['0123-abcd'] });
 * ```
 */
export interface BatchApi {
  describeJobQueues(input: DescribeJobQueuesCommandInput): Promise<DescribeJobQueuesCommandOutput>;
  describeComputeEnvironments(
    input: DescribeComputeEnvironmentsCommandInput,
  ): Promise<DescribeComputeEnvironmentsCommandOutput>;
  describeJobDefinitions(
    input: DescribeJobDefinitionsCommandInput,
  ): Promise<DescribeJobDefinitionsCommandOutput>;
  registerJobDefinition(
    input: RegisterJobDefinitionCommandInput,
  ): Promise<RegisterJobDefinitionCommandOutput>;
  submitJob(input: SubmitJobCommandInput): Promise<SubmitJobCommandOutput>;
  describeJobs(input: DescribeJobsCommandInput): Promise<DescribeJobsCommandOutput>;
  listJobs(input: ListJobsCommandInput): Promise<ListJobsCommandOutput>;
  terminateJob(input: TerminateJobCommandInput): Promise<TerminateJobCommandOutput>;
  getLogEvents(input: GetLogEventsCommandInput): Promise<GetLogEventsCommandOutput>;
  /** Releases the clients' sockets. */
  close(): void;
}

/**
 * AWS calls made, by action name (`SubmitJob`, `DescribeJobs`, ...).
 *
 * @example
 * ```ts
 * const counts: CallCounts = { SubmitJob: 200, DescribeJobs: 4 };
 * ```
 */
export type CallCounts = Record<string, number>;

type BatchSdk = typeof import('@aws-sdk/client-batch');
type LogsSdk = typeof import('@aws-sdk/client-cloudwatch-logs');

function load<T>(specifier: string): T {
  // From here; else beside the S3 SDK the runtime loaded (a sibling dependency of stepflow); else the cwd.
  try {
    return requireAwsPackage<T>(specifier).module;
  } catch (err) {
    const first = err instanceof AwsSdkMissingError ? err.failures[0] : String(err);
    throw new Error(
      `@batch needs the package ${specifier}, which cannot be loaded (${first}). ` +
        `Install it beside the flow: npm install ${specifier}.`,
      { cause: err },
    );
  }
}

interface Countable {
  middlewareStack: {
    add(
      mw: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

function count(client: Countable, counts: CallCounts): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'stepflowCallCounter' },
  );
}

/**
 * The real AWS clients (`@aws-sdk/client-batch`, `@aws-sdk/client-cloudwatch-logs`), loaded now, with
 * adaptive retries, except SubmitJob, sent once per call by a client of its own (the launcher retries it
 * through the run's adaptive rate, jobs/submit-rate.ts); every call is added to `counts`.
 *
 * @example
 * ```ts
 * const counts: CallCounts = {};
 * const api = sdkBatchApi(counts);
 * await api.describeJobQueues({ jobQueues: ['my-queue'] });
 * counts.DescribeJobQueues; // 1
 * ```
 */
export function sdkBatchApi(
  counts: CallCounts = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): BatchApi {
  return quietly(() => {
    const b = load<BatchSdk>('@aws-sdk/client-batch');
    const l = load<LogsSdk>('@aws-sdk/client-cloudwatch-logs');
    // The region as boto3 and the AWS CLI find it (AWS_REGION, AWS_DEFAULT_REGION, the config file).
    const region = awsRegion(env);
    const config = { region, retryMode: 'adaptive', maxAttempts: 8 };
    const batch = new b.BatchClient(config);
    // SubmitJob has a client of its own: no SDK retries (the run's SubmitRate owns them, see
    // jobs/throttle-retries.ts), and its throttling never slows the adaptive client that polls and terminates.
    const submit = new b.BatchClient({ region, maxAttempts: 1 });
    const logs = new l.CloudWatchLogsClient(config);
    count(batch as unknown as Countable, counts);
    count(submit as unknown as Countable, counts);
    count(logs as unknown as Countable, counts);
    return {
      describeJobQueues: (i) => batch.send(new b.DescribeJobQueuesCommand(i)),
      describeComputeEnvironments: (i) => batch.send(new b.DescribeComputeEnvironmentsCommand(i)),
      describeJobDefinitions: (i) => batch.send(new b.DescribeJobDefinitionsCommand(i)),
      registerJobDefinition: (i) => batch.send(new b.RegisterJobDefinitionCommand(i)),
      submitJob: (i) => submit.send(new b.SubmitJobCommand(i)),
      describeJobs: (i) => batch.send(new b.DescribeJobsCommand(i)),
      listJobs: (i) => batch.send(new b.ListJobsCommand(i)),
      terminateJob: (i) => batch.send(new b.TerminateJobCommand(i)),
      getLogEvents: (i) => logs.send(new l.GetLogEventsCommand(i)),
      close: () => {
        batch.destroy();
        submit.destroy();
        logs.destroy();
      },
    };
  });
}
