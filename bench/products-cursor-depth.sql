-- A cursor page deep in the product list, as ProductService.list asks for it before and after
-- 2026-12-07: the cursor as an OR alone (read as a filter), and with `created_at <= cursor` added
-- (where the list index is entered). 100,000 products in a transaction rolled back at the end.
--   PGPASSWORD=shop psql -X -q -v off=99000 -h 127.0.0.1 -U shop -d shop_test -f bench/products-cursor-depth.sql
BEGIN;
INSERT INTO products (name, description, price, category, inventory, updated_at, created_at)
SELECT 'p' || g, '', 1.00, 'bench-cursor', 1, now(), now() - (g || ' seconds')::interval
FROM generate_series(1, 100000) g;
ANALYZE products;
SELECT created_at AS c, id AS i FROM products ORDER BY created_at DESC, id DESC OFFSET :off LIMIT 1 \gset
\echo the cursor as an OR alone (in a category, then all)
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products
WHERE category = 'bench-cursor' AND (created_at < :'c' OR (created_at = :'c' AND id < :'i'))
ORDER BY created_at DESC, id DESC LIMIT 21;
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products
WHERE (created_at < :'c' OR (created_at = :'c' AND id < :'i'))
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo with created_at <= cursor (in a category, then all)
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products
WHERE category = 'bench-cursor' AND created_at <= :'c' AND (created_at < :'c' OR (created_at = :'c' AND id < :'i'))
ORDER BY created_at DESC, id DESC LIMIT 21;
EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM products
WHERE created_at <= :'c' AND (created_at < :'c' OR (created_at = :'c' AND id < :'i'))
ORDER BY created_at DESC, id DESC LIMIT 21;
ROLLBACK;
