# trailscope: one image for every process (poll, worker, serve, setup, ...); docker-compose.yml picks the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# `npm ci` runs the root `prepare` script (tsc -b), so the sources must be in place first.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
CMD ["node", "packages/cli/bin/trailscope.js", "--help"]
