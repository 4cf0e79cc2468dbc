// Run by the mongo image on the first start of an empty volume (/docker-entrypoint-initdb.d), as the
// administrator: one user per service, with readWrite on that service's own database and nothing else.
// Passwords come from the container's environment (MONGO_<SERVICE>_PASSWORD, set from .env); each
// service's MONGO_URL in docker-compose.yml carries its own. scripts/compose-file.test.ts checks both.
const prefix = process.env.MONGO_DB_PREFIX || 'shop';
for (const service of ['users', 'orders', 'payments', 'notifications']) {
  const variable = `MONGO_${service.toUpperCase()}_PASSWORD`;
  const password = process.env[variable];
  if (!password) throw new Error(`${variable} is not set`);
  const dbName = `${prefix}_${service}`;
  db.getSiblingDB(dbName).createUser({ user: service, pwd: password, roles: [{ role: 'readWrite', db: dbName }] });
  print(`created MongoDB user ${service} (readWrite on ${dbName} only)`);
}
