-- What a catalogue page costs with and without its totalCount (2026-12-07: counted only when a
-- client selects it): the page as ProductService.list reads it, then the count Prisma sends for the
-- same filter, for the whole catalogue and for what is in stock (every other product sold out).
-- 100,000 products in a transaction rolled back at the end.
--   PGPASSWORD=shop psql -X -q -h 127.0.0.1 -U shop -d shop_test -f bench/products-page-count.sql
BEGIN;
INSERT INTO products (name, description, price, category, inventory, updated_at, created_at)
SELECT 'p' || g, '', 1.00, 'bench-count', g % 2, now(), now() - (g || ' seconds')::interval
FROM generate_series(1, 100000) g;
ANALYZE products;
\echo the first page of 20 (all, then in stock)
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 21;
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products WHERE inventory > 0 ORDER BY created_at DESC, id DESC LIMIT 21;
\echo its totalCount (all, then in stock)
EXPLAIN (ANALYZE, COSTS OFF) SELECT COUNT(*) FROM products;
EXPLAIN (ANALYZE, COSTS OFF) SELECT COUNT(*) FROM products WHERE inventory > 0;
ROLLBACK;
