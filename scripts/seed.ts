// `pnpm seed [--count N]`: a demo catalogue in the products database (DATABASE_URL, default the
// dev database `shop`), as used by the README's examples. 200 products by default, across nine
// categories, with prices, stock (about one in ten sold out) and image URLs.
//
// Deterministic and idempotent: product i always gets the same id and values, and a re-run
// updates those rows (restoring their stock) instead of adding more. Products created through
// the API are left alone. bench/ imports seedProducts to load 100,000 products the same way.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { formatCents } from '@shop/platform/core';
import pg from 'pg';
import { mulberry32 } from './mulberry32.js';

interface CategorySpec {
  slug: string;
  nouns: string[];
  adjectives: string[];
  features: string[];
  /** Price range in integer cents: money never goes through floating point. */
  cents: [number, number];
}

const BRANDS = ['Northwind', 'Acme', 'Bluebird', 'Fjord', 'Lumen', 'Oakline', 'Pioneer', 'Sable', 'Tidewater', 'Vela'];

const CATEGORIES: CategorySpec[] = [
  {
    slug: 'electronics',
    nouns: ['Headphones', 'Speaker', 'Keyboard', 'Mouse', 'Monitor', 'Webcam', 'Charger', 'Smartwatch', 'Earbuds'],
    adjectives: [
      'Wireless',
      'Bluetooth',
      'Noise-Cancelling',
      'Portable',
      'Ergonomic',
      'Mechanical',
      'Rechargeable',
      'Smart',
    ],
    features: ['a two-year warranty', 'a braided USB-C cable', 'a carrying case', 'free firmware updates'],
    cents: [999, 49_999],
  },
  {
    slug: 'books',
    nouns: ['Cookbook', 'Novel', 'Field Guide', 'Atlas', 'Biography', 'Poetry Collection', 'Travel Guide'],
    adjectives: ['Illustrated', 'Pocket', 'Hardcover', 'Annotated', 'Bestselling', 'Classic', 'Revised'],
    features: ['over 300 pages', 'full-colour photographs', 'a foreword by the author', 'a ribbon bookmark'],
    cents: [599, 4_999],
  },
  {
    slug: 'home-kitchen',
    nouns: ['Kettle', "Chef's Knife", 'Skillet', 'French Press', 'Cutting Board', 'Blender', 'Toaster', 'Dutch Oven'],
    adjectives: ['Stainless', 'Cast Iron', 'Bamboo', 'Ceramic', 'Electric', 'Non-Stick', 'Compact', 'Professional'],
    features: ['a dishwasher-safe finish', 'an ergonomic handle', 'a five-year warranty', 'a gift box'],
    cents: [1_299, 29_999],
  },
  {
    slug: 'clothing',
    nouns: ['T-Shirt', 'Hoodie', 'Rain Jacket', 'Wool Socks', 'Chinos', 'Sneakers', 'Beanie', 'Scarf'],
    adjectives: ['Organic Cotton', 'Merino', 'Waterproof', 'Slim-Fit', 'Relaxed', 'Recycled', 'Lightweight'],
    features: ['reinforced seams', 'a relaxed fit', 'machine-washable fabric', 'recycled packaging'],
    cents: [999, 19_999],
  },
  {
    slug: 'sports-outdoors',
    nouns: [
      'Yoga Mat',
      'Water Bottle',
      'Tent',
      'Backpack',
      'Trail Shoes',
      'Dumbbell Set',
      'Bike Light',
      'Sleeping Bag',
    ],
    adjectives: ['Ultralight', 'Insulated', 'Waterproof', 'Foldable', 'Adjustable', 'Reflective', 'Durable'],
    features: ['a lifetime warranty', 'a carry bag', 'weather-resistant materials', 'a non-slip surface'],
    cents: [1_499, 39_999],
  },
  {
    slug: 'toys-games',
    nouns: ['Puzzle', 'Board Game', 'Building Blocks', 'Plush Bear', 'Kite', 'Card Game', 'Model Train'],
    adjectives: ['Wooden', 'Family', 'Educational', 'Giant', 'Classic', 'Deluxe', 'Travel'],
    features: ['pieces for ages 6 and up', 'non-toxic paints', 'a storage tin', 'rules in five languages'],
    cents: [799, 12_999],
  },
  {
    slug: 'beauty',
    nouns: ['Face Cream', 'Shampoo', 'Lip Balm', 'Hand Soap', 'Sunscreen', 'Body Lotion', 'Face Serum'],
    adjectives: ['Organic', 'Fragrance-Free', 'Hydrating', 'Vegan', 'Gentle', 'Mineral', 'Refillable'],
    features: ['natural ingredients', 'a recyclable bottle', 'no parabens', 'dermatologist testing'],
    cents: [399, 5_999],
  },
  {
    slug: 'garden',
    nouns: ['Watering Can', 'Pruning Shears', 'Planter', 'Garden Hose', 'Bird Feeder', 'Seed Kit', 'Trowel'],
    adjectives: ['Galvanised', 'Self-Watering', 'Expandable', 'Terracotta', 'Heavy-Duty', 'Solar'],
    features: ['rust-proof steel', 'a UV-stable finish', 'a comfortable grip', 'drainage holes'],
    cents: [599, 14_999],
  },
  {
    slug: 'office',
    nouns: ['Notebook', 'Fountain Pen', 'Desk Lamp', 'Desk Organizer', 'Monitor Stand', 'Planner', 'Office Chair'],
    adjectives: ['Dotted', 'Refillable', 'Dimmable', 'Minimalist', 'Walnut', 'Ergonomic', 'Recycled'],
    features: ['a ten-year warranty', 'sustainably sourced materials', 'a minimalist design', 'a gift box'],
    cents: [299, 34_999],
  },
];

export interface SeedProduct {
  id: string;
  name: string;
  description: string;
  price: string;
  category: string;
  inventory: number;
  images: string[];
  createdAt: Date;
}

/** A stable UUID for product i, so re-seeding updates rather than duplicates. */
function seedId(index: number): string {
  const hex = createHash('sha1').update(`shop-seed-product:${index}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const pick = <T>(next: () => number, items: T[]): T => items[Math.floor(next() * items.length)] as T;

// Product i is created 5 minutes after product i-1, from a fixed start: stable list order.
const FIRST_CREATED_AT = Date.UTC(2025, 0, 1);

export function demoProduct(index: number): SeedProduct {
  const next = mulberry32(index + 1); // the same catalogue on every machine
  const spec = CATEGORIES[index % CATEGORIES.length] as CategorySpec;
  const [brand, adjective, noun] = [pick(next, BRANDS), pick(next, spec.adjectives), pick(next, spec.nouns)];
  const [low, high] = spec.cents;
  // Whole units ending in .99, .49 or .00: integer arithmetic only.
  const units = Math.floor((low + next() * (high - low)) / 100);
  const cents = units * 100 + pick(next, [99, 99, 49, 0]);
  // Two different features: the second is one of the others.
  const firstFeature = Math.floor(next() * spec.features.length);
  const secondFeature = (firstFeature + 1 + Math.floor(next() * (spec.features.length - 1))) % spec.features.length;
  const [first, second] = [spec.features[firstFeature], spec.features[secondFeature]];
  const slug = `${spec.slug}-${index}`;
  const imageCount = 1 + Math.floor(next() * 3);
  return {
    id: seedId(index),
    name: `${brand} ${adjective} ${noun}${index >= 1000 ? ` ${(index % 900) + 100}` : ''}`,
    description: `${/^[AEIOU]/.test(adjective) ? 'An' : 'A'} ${adjective.toLowerCase()} ${noun.toLowerCase()} by ${brand}, with ${first} and ${second}.`,
    price: formatCents(cents),
    category: spec.slug,
    inventory: next() < 0.1 ? 0 : 1 + Math.floor(next() * 200),
    images: Array.from({ length: imageCount }, (_, i) => `https://picsum.photos/seed/${slug}-${i}/800/800`),
    createdAt: new Date(FIRST_CREATED_AT + index * 5 * 60_000),
  };
}

// Batched multi-row upserts: 100,000 products load in about a minute on a small machine.
const UPSERT = `
  INSERT INTO products (id, name, description, price, category, inventory, images, created_at, updated_at)
  SELECT id, name, description, price, category, inventory, string_to_array(images, ' '), created_at, now()
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::int[], $7::text[], $8::timestamp[])
    AS t(id, name, description, price, category, inventory, images, created_at)
  ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, description = excluded.description, price = excluded.price,
    category = excluded.category, inventory = excluded.inventory, images = excluded.images,
    created_at = excluded.created_at, updated_at = now()`;
const BATCH = 2_000;

export async function seedProducts(connectionString: string, count: number, onProgress?: (n: number) => void) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (let start = 0; start < count; start += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => demoProduct(start + i));
      await client.query(UPSERT, [
        rows.map((r) => r.id),
        rows.map((r) => r.name),
        rows.map((r) => r.description),
        rows.map((r) => r.price),
        rows.map((r) => r.category),
        rows.map((r) => r.inventory),
        rows.map((r) => r.images.join(' ')),
        // The column is a UTC timestamp without zone, as Prisma writes it.
        rows.map((r) => r.createdAt.toISOString().replace('Z', '')),
      ]);
      onProgress?.(start + rows.length);
    }
    // VACUUM also moves the trigram indexes' pending entries (GIN fastupdate) into the index proper:
    // until then the planner prices those indexes high and skips them.
    await client.query('VACUUM ANALYZE products');
  } finally {
    await client.end();
  }
}

async function main() {
  const countIdx = process.argv.indexOf('--count');
  const count = countIdx >= 0 ? Number(process.argv[countIdx + 1]) : 200;
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new Error('Usage: pnpm seed [--count N] with 1 <= N <= 1000000');
  }
  const url = process.env.DATABASE_URL ?? 'postgresql://shop:shop@127.0.0.1:5432/shop';
  await seedProducts(url, count);
  const where = url.replace(/\/\/[^@/]*@/, '//***@'); // don't print the password
  console.log(`Seeded ${count} demo products in ${CATEGORIES.length} categories into ${where}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`seed failed: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  });
}
