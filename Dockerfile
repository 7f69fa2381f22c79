# trailscope: one image for every process (poll, worker, serve, setup, ...); docker-compose.yml picks the command.
# Node.js 24 is the current LTS line (the suite runs under Node 20 and Node 24).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY . .
# `npm ci` runs the root `prepare` script (tsc -b), so the sources must be in place first. The prune leaves what
# `npm ci --omit=dev` installs; the check fails the build if that still holds the local stack's S3 test server
# (s3rver) or testcontainers, which only development and the tests use.
RUN npm ci && npm prune --omit=dev && node scripts/runtime-deps.js --installed /app

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
CMD ["node", "packages/cli/bin/trailscope.js", "--help"]
