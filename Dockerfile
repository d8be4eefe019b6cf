# PlantPulse on the current Node LTS. Multi-stage: build (native better-sqlite3, TypeScript) → slim runtime.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
# Everything tsconfig.build.json compiles; .dockerignore keeps node_modules, dist, .env and
# data out of the context (a fixed COPY list silently drops folders added later).
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY examples examples
# Least privilege: run as the unprivileged node user; the log lives on a volume it owns.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 1883 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start", "--config", "/config/plant.yaml", "--data-dir", "/data"]
