/**
 * Connections (and so commands in flight) per process to the MongoDB-wire server, unless
 * MONGO_MAX_POOL_SIZE says otherwise.
 *
 * Why a bound well below the driver's 100: FerretDB 1.x on PostgreSQL serves a write that reads
 * before it writes (an update or delete matching several documents) with two connections of its
 * own PostgreSQL pool at once, taking the second while holding the first. When as many such
 * commands arrive together as that pool has connections (50 unless its URL sets pool_max_conns),
 * each holds one and waits for another: FerretDB stops answering every client, for good (seen
 * here: 60 concurrent updateMany hung it; 40 did not). Keeping every replica's pool together
 * below FerretDB's pool rules that out: `pnpm infra:up` gives FerretDB 200, which fewer than 20
 * processes at this default stay below. MongoDB has no such limit; raise it there if a service
 * needs more concurrency.
 */
export const MONGO_POOL_SIZE = 10;
