// The AppSync simulator (@aws-amplify/amplify-appsync-simulator) with a small job schema,
// for tests/client/adapters/test_appsync.py. The jobs live in memory and in a JSON state
// file (rewritten on every change), so a restarted simulator comes back with them, or
// with whatever the test wrote there while it was down.
//
// usage: node appsync_simulator.js PORT STATE_FILE API_KEY
// env: APPSYNC_KA_MS, APPSYNC_TIMEOUT_MS: the keep-alive interval and the connection
//   timeout the ack announces (the simulator's own: 4 and 5 minutes).
// stdin: "drop" terminates every realtime WebSocket (a reset mid-stream); answers "dropped".
//   "mute" / "unmute": stop / resume sending keep-alives (a hung backend); answers the same.
// stdout: "ready" once listening.
const fs = require('fs');
const readline = require('readline');
const { AmplifyAppSyncSimulator } = require('@aws-amplify/amplify-appsync-simulator');

const [port, stateFile, apiKey] = process.argv.slice(2);

const schema = `
enum Priority { HIGH MEDIUM LOW }
type Job @aws_api_key @aws_cognito_user_pools {
  id: ID!
  status: String!
  request: String
  priority: Priority
  result: String
  createdAt: String!
  updatedAt: String!
}
input SubmitJobInput { request: String! priority: Priority }
type Query @aws_api_key @aws_cognito_user_pools {
  getJob(id: ID!): Job
  listJobs: [Job!]!
}
type Mutation @aws_api_key @aws_cognito_user_pools {
  submitJob(input: SubmitJobInput!): Job
  updateJob(id: ID!, status: String!, result: String): Job
}
type Subscription @aws_api_key @aws_cognito_user_pools {
  onJobUpdate(id: ID!): Job @aws_subscribe(mutations: ["submitJob", "updateJob"])
  onJobSubmitted: Job @aws_subscribe(mutations: ["submitJob"])
}
schema { query: Query mutation: Mutation subscription: Subscription }
`;

let jobs = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : [];
let counter = jobs.length;

function save() {
  fs.writeFileSync(stateFile + '.tmp', JSON.stringify(jobs));
  fs.renameSync(stateFile + '.tmp', stateFile);
}

function stamp() {
  return new Date().toISOString();
}

async function invoke({ field, arguments: args }) {
  switch (field) {
    case 'getJob':
      return jobs.find((job) => job.id === args.id) || null;
    case 'listJobs':
      return jobs;
    case 'submitJob': {
      if (!args.input.request.trim()) throw new Error('request must not be empty');
      counter += 1;
      const now = stamp();
      const job = {
        id: `job-${process.pid}-${counter}`,
        status: 'PENDING',
        request: args.input.request,
        priority: args.input.priority || 'MEDIUM',
        result: null,
        createdAt: now,
        updatedAt: now,
      };
      jobs.push(job);
      save();
      return job;
    }
    case 'updateJob': {
      const job = jobs.find((candidate) => candidate.id === args.id);
      if (!job) throw new Error(`no job ${args.id}`);
      Object.assign(job, { status: args.status, result: args.result ?? null, updatedAt: stamp() });
      save();
      return job;
    }
    default:
      throw new Error(`no resolver for ${field}`);
  }
}

const request = `{"version": "2018-05-29", "operation": "Invoke",
  "payload": {"field": "$ctx.info.fieldName", "arguments": $util.toJson($ctx.arguments)}}`;
const response = `#if($ctx.error) $util.error($ctx.error.message, "INVALID_INPUT") #end
$util.toJson($ctx.result)`;
const fields = [
  ['Query', 'getJob'],
  ['Query', 'listJobs'],
  ['Mutation', 'submitJob'],
  ['Mutation', 'updateJob'],
];

async function main() {
  const simulator = new AmplifyAppSyncSimulator({ port: Number(port) });
  simulator.init({
    schema: { content: schema },
    appSync: {
      name: 'jobdesk-test',
      apiKey,
      defaultAuthenticationType: { authenticationType: 'API_KEY' },
      additionalAuthenticationProviders: [
        { authenticationType: 'AMAZON_COGNITO_USER_POOLS', cognitoUserPoolConfig: {} },
      ],
    },
    dataSources: [{ name: 'jobs', type: 'AWS_LAMBDA', invoke }],
    resolvers: fields.map(([typeName, fieldName]) => ({
      kind: 'UNIT',
      typeName,
      fieldName,
      dataSourceName: 'jobs',
      requestMappingTemplate: request,
      responseMappingTemplate: response,
    })),
  });
  await simulator.start();
  const realtime = simulator._server._realTimeSubscriptionServer.realtimeServer;
  if (process.env.APPSYNC_KA_MS) realtime.options.keepAlive = Number(process.env.APPSYNC_KA_MS);
  if (process.env.APPSYNC_TIMEOUT_MS) {
    realtime.options.connectionTimeoutDuration = Number(process.env.APPSYNC_TIMEOUT_MS);
  }
  let muted = false;
  const send = realtime.sendMessage;
  realtime.sendMessage = (context, id, type, data) => {
    if (!(muted && type === 'ka')) send(context, id, type, data);
  };
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim();
    if (command === 'drop') {
      for (const client of realtime.webSocketServer.clients) client.terminate();
      process.stdout.write('dropped\n');
    } else if (command === 'mute' || command === 'unmute') {
      muted = command === 'mute';
      process.stdout.write(`${command}d\n`);
    }
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdout.write('ready\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
