import { randomUUID } from 'node:crypto';
import mongoose, { type mongo } from 'mongoose';

/**
 * Test helper (exported by `@shop/platform/testing`): records the filters the code really sends
 * over the wire, then asks the server to `explain` each shape on a collection padded with enough
 * documents that a missing index shows as a sequential scan.
 */

/** One filter the code sent: where, by which command, and with which sort. */
export interface QueryShape {
  /** `collection command {filter structure} sort` — values left out, operators kept. */
  key: string;
  collection: string;
  filter: Record<string, unknown>;
  sort?: Record<string, unknown>;
}

export interface PlanReport {
  server: 'ferretdb-postgresql' | 'mongodb';
  /** Shapes whose filter the server evaluates but reads the whole collection for: a missing index. */
  scanned: string[];
  /**
   * FerretDB 1.x only: shapes it cannot hand to PostgreSQL at all (it pushes down equality on
   * top-level fields only, not `$in`, `$or`, ranges, `$exists` or dotted paths), so it reads the
   * whole collection and filters in Go whatever the indexes.
   */
  notPushedDown: string[];
  /** Shapes without a filter (a full listing or count): a whole read by definition. */
  unfiltered: string[];
  served: string[];
  /** The collections with at least one served shape, sorted. */
  servedCollections: string[];
}

const operatorFree = (key: string) => !key.startsWith('$');

/** The filter's structure: its field names and operators, each value replaced by its type. */
function structure(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 && value.every(isPlainObject) ? value.map(structure) : '?';
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structure(v)]));
  return '?';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

type Filter = Record<string, unknown>;

/** The parts of the commands that carry a filter (the collection is under the command's name). */
interface FilteringCommand {
  [name: string]: unknown;
  filter?: Filter;
  query?: Filter;
  sort?: Filter | Map<string, unknown>;
  updates?: { q: Filter }[];
  deletes?: { q: Filter }[];
  pipeline?: { $match?: Filter }[];
}

function shapesOf(event: mongo.CommandStartedEvent): Omit<QueryShape, 'key'>[] {
  const command = event.command as FilteringCommand;
  const collection = String(command[event.commandName]);
  // The driver hands a sort over as a Map (its key order matters).
  const one = (filter: Filter | undefined, sort?: Filter | Map<string, unknown>) => ({
    collection,
    filter: filter ?? {},
    sort: sort instanceof Map ? Object.fromEntries(sort) : sort,
  });
  switch (event.commandName) {
    case 'find':
      return [one(command.filter, command.sort)];
    case 'findAndModify':
      return [one(command.query, command.sort)];
    case 'count':
    case 'distinct':
      return [one(command.query)];
    case 'update':
      return (command.updates ?? []).map((update) => one(update.q));
    case 'delete':
      return (command.deletes ?? []).map((remove) => one(remove.q));
    case 'aggregate':
      return [one(command.pipeline?.[0]?.$match)];
    default:
      return [];
  }
}

/**
 * Records every filter sent on mongoose's default connection from now on (the connection must
 * have been opened with `monitorCommands: true`, as `connectTestMongo` does): one example per shape.
 */
export function recordQueryShapes(): { shapes: () => QueryShape[]; stop: () => void } {
  const client = mongoose.connection.getClient();
  const shapes = new Map<string, QueryShape>();
  const listener = (event: mongo.CommandStartedEvent) => {
    for (const shape of shapesOf(event)) {
      const sort = shape.sort ? ` sort ${JSON.stringify(shape.sort)}` : '';
      const key = `${shape.collection} ${event.commandName} ${JSON.stringify(structure(shape.filter))}${sort}`;
      if (!shapes.has(key)) shapes.set(key, { key, ...shape });
    }
  };
  client.on('commandStarted', listener);
  return {
    shapes: () => [...shapes.values()],
    stop: () => client.off('commandStarted', listener),
  };
}

/** Top-level fields a filter or sort names (inside `$or`/`$and` too); dotted paths are left out. */
function fieldsOf(filter: Record<string, unknown>, into = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$or' || key === '$and' || key === '$nor') {
      for (const branch of value as Record<string, unknown>[]) fieldsOf(branch, into);
    } else if (operatorFree(key) && !key.includes('.')) into.add(key);
  }
  return into;
}

/**
 * The fewest padding documents, for a test that wrote few: without an index PostgreSQL reads a
 * table of any size sequentially; with one it already picked the index for a hundred rows
 * (measured on FerretDB 1.24 and PostgreSQL 15 before any ANALYZE). A thousand leaves a margin.
 */
export const PADDING_DOCUMENTS = 1_000;

/**
 * Brings the planner's statistics of a collection up to date with its documents, so a plan check
 * does not depend on when autovacuum last analyzed the table (it does so when it likes): FerretDB's
 * collStats runs ANALYZE. MongoDB plans without such statistics and answers collStats harmlessly.
 */
export async function analyzeCollection(collection: string): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('analyzeCollection: mongoose is not connected');
  await db.command({ collStats: collection });
}

/**
 * Pads each collection the shapes touch with documents carrying a distinct value in every field
 * the shapes filter or sort on (so no recorded filter matches them), then explains each shape as a
 * `find` with its filter and sort: FerretDB and MongoDB plan an update's, delete's or
 * findAndModify's query as they plan that find.
 */
export async function explainShapes(shapes: QueryShape[], padding = PADDING_DOCUMENTS): Promise<PlanReport> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('explainShapes: mongoose is not connected');
  const fields = new Map<string, Set<string>>();
  for (const shape of shapes) {
    const set = fields.get(shape.collection) ?? new Set<string>();
    fieldsOf(shape.filter, set);
    fieldsOf(shape.sort ?? {}, set);
    fields.set(shape.collection, set);
  }
  const run = randomUUID().slice(0, 8);
  for (const [collection, names] of fields) {
    // Ten times what the test wrote, at least: a value every one of its documents holds is then
    // under a tenth of the rows, for which PostgreSQL, with the table analyzed, still picks the
    // index (a value half the rows hold it rightly reads whole, index or not).
    const count = Math.max(padding, 10 * (await db.collection(collection).estimatedDocumentCount()));
    const documents = Array.from({ length: count }, (_, i) => {
      const value = `plan-padding-${run}-${i}`;
      return Object.fromEntries([['_id', value], ...[...names].map((name) => [name, value])]);
    });
    await db.collection(collection).insertMany(documents, { ordered: false });
    // Statistics taken before the padding would still describe the test's documents alone.
    await analyzeCollection(collection);
  }

  const report: PlanReport = {
    server: 'mongodb',
    scanned: [],
    notPushedDown: [],
    unfiltered: [],
    served: [],
    servedCollections: [],
  };
  for (const shape of shapes) {
    const explained = await db.command({
      explain: { find: shape.collection, filter: shape.filter, ...(shape.sort ? { sort: shape.sort } : {}) },
      verbosity: 'queryPlanner',
    });
    const plan = readPlan(explained);
    report.server = plan.server;
    if (Object.keys(shape.filter).length === 0) report.unfiltered.push(shape.key);
    else if (!plan.scans) report.served.push(shape.key);
    else if (plan.server === 'ferretdb-postgresql' && explained.filterPushdown !== true)
      report.notPushedDown.push(shape.key);
    else report.scanned.push(shape.key);
  }
  for (const list of [report.scanned, report.notPushedDown, report.unfiltered, report.served]) list.sort();
  report.servedCollections = [...new Set(report.served.map((key) => key.split(' ')[0] ?? key))].sort();
  return report;
}

interface PgPlanNode {
  'Node Type': string;
  Plans?: PgPlanNode[];
}
interface MongoStage {
  stage: string;
  inputStage?: MongoStage;
  inputStages?: MongoStage[];
}

/** Whether a plan reads a whole collection: PostgreSQL's `Seq Scan` (FerretDB) or MongoDB's `COLLSCAN`. */
function readPlan(explained: mongo.Document): { server: PlanReport['server']; scans: boolean } {
  const planner = explained.queryPlanner as { Plan?: PgPlanNode | string[]; winningPlan?: MongoStage } | undefined;
  if (Array.isArray(planner?.Plan)) {
    // FerretDB on SQLite: SQLite's own plan lines ("SCAN <table>"); it reads every collection whole
    // whatever the indexes, so there is nothing to check there but that fact.
    throw new Error(
      `FerretDB on SQLite reads every collection whole (${planner.Plan.join('; ')}); the plan check needs ` +
        'FerretDB on PostgreSQL (the default of pnpm infra:up) or MongoDB',
    );
  }
  if (planner?.Plan) {
    const nodes = (node: PgPlanNode): string[] => [node['Node Type'], ...(node.Plans ?? []).flatMap(nodes)];
    return { server: 'ferretdb-postgresql', scans: nodes(planner.Plan).includes('Seq Scan') };
  }
  if (planner?.winningPlan) {
    const stages = (stage: MongoStage): string[] => [
      stage.stage,
      ...(stage.inputStage ? stages(stage.inputStage) : []),
      ...(stage.inputStages ?? []).flatMap(stages),
    ];
    return { server: 'mongodb', scans: stages(planner.winningPlan).includes('COLLSCAN') };
  }
  throw new Error(`cannot read this server's query plan: ${JSON.stringify(explained.queryPlanner).slice(0, 300)}`);
}
