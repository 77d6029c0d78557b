// package.json "overrides" puts this in place of @prisma/streams-local, which needs Node 22+ and
// is loaded only by `prisma dev` (a local Prisma Postgres server this project does not use).
'use strict';
function startLocalDurableStreamsServer() {
  throw new Error(
    '`prisma dev` is not supported in this project: it uses its own embedded PostgreSQL (npm start).',
  );
}
module.exports = { startLocalDurableStreamsServer };
