/**
 * Where `watchpost report` and `watchpost incident` read and write: the local store under
 * `.watchpost/` by default, or with `--aws` the deployed results table in the home region
 * (needs AWS credentials of the account watchpost is deployed in).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClient } from '../aws-clients';
import type { ValidatedConfig } from '../config/types';
import { tableName } from '../store/table';
import { CliError, EXIT } from './args';
import { openLocalStore } from './local';
import { awsProblem } from './notify';

export interface TableSource {
  client: DynamoDBClient;
  tableName: string;
  /** For messages: `the local store in .watchpost` or `table shop-watchpost-results in eu-central-1`. */
  where: string;
  close(): Promise<void>;
}

export async function openTableSource(opts: {
  aws: boolean;
  dataDir: string;
  config: ValidatedConfig;
  /** What the command does, for error messages: "read the results table". */
  doing: string;
}): Promise<TableSource> {
  if (!opts.aws) {
    const local = await openLocalStore(opts.dataDir, opts.config);
    return {
      client: local.client,
      tableName: local.tableName,
      where: `the local store in ${opts.dataDir}`,
      close: () => local.close(),
    };
  }
  const region = opts.config.homeRegion;
  const name = tableName(opts.config.project);
  const client = awsClient(DynamoDBClient, { region, maxAttempts: 3 });
  try {
    // One cheap call first: missing credentials or a table not deployed yet say so clearly.
    await client.send(new DescribeTableCommand({ TableName: name }));
  } catch (e) {
    client.destroy();
    if ((e as Error).name === 'ResourceNotFoundException')
      throw new CliError(
        `no table ${name} in ${region} — hint: deploy first (\`npx cdk deploy --all\`), ` +
          "or check the config's project and homeRegion",
        EXIT.failed,
      );
    throw awsProblem(e, `${opts.doing} (table ${name} in ${region})`);
  }
  return { client, tableName: name, where: `table ${name} in ${region}`, close: async () => client.destroy() };
}
