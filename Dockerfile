# The promotion worker as an image, for docker-compose.yml and for clusters.
FROM node:20-bookworm-slim
# openssh-client: ssh for deploy-key repositories, and ssh-keygen to verify approvers' signed decisions (identity.ssh).
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
# Bundled at build time: the worker then starts without webpack and never carries its memory.
RUN node bin/promenade.js bundle --out /app/workflows.js
ENV PROMENADE_WORKFLOW_BUNDLE=/app/workflows.js
USER node
ENV PROMENADE_CACHE_DIR=/home/node/.cache/promenade
CMD ["node", "bin/promenade.js", "worker"]
