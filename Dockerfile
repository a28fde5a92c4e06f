# cloudledger: the control plane, built from source. Runs with the image's own Node 24.
# devDependencies stay installed: the `node` devDependency is the runtime npm scripts use, so
# `npm prune --omit=dev` is not an option here; the server itself starts with this image's node.
FROM node:24-bookworm-slim

WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build \
 && mkdir -p /app/.data \
 && chown node:node /app/.data

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
USER node
EXPOSE 3000

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/adapters/cli/main.js", "serve"]
