# Leveret broker image.
#
#   docker build -t leveret .
#   docker run -d -p 5672:5672 -e RABBITMQ_DEFAULT_USER=app -e RABBITMQ_DEFAULT_PASS=change-me \
#     -v leveret-data:/data leveret
#
# The built-in guest user may connect only from loopback (inside the container), as in RabbitMQ's image: set
# RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS (or LEVERET_DEFAULT_USER/LEVERET_DEFAULT_PASS) to connect from outside.
# Arguments after the image name are passed to the broker: `docker run leveret --log-level debug`.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: compile TypeScript, then keep production dependencies only -------------------------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when one matches; these build it from source when none does.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY admin-ui ./admin-ui
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LEVERET_DATA_DIR=/data \
    LEVERET_AMQP_BIND=0.0.0.0,:: \
    LEVERET_HTTP_BIND=0.0.0.0,::
RUN groupadd --system leveret \
 && useradd --system --gid leveret --home-dir /app --no-create-home --shell /usr/sbin/nologin leveret \
 && mkdir -p /data \
 && chown leveret:leveret /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER leveret
VOLUME ["/data"]
# 5671 and 15671: AMQPS and HTTPS, when LEVERET_TLS_CERT and LEVERET_TLS_KEY name a certificate and its key.
EXPOSE 5672 15672 5671 15671
# Healthy when the broker answers an AMQP protocol header with a method frame (connection.start). Follows
# LEVERET_AMQP_PORT / RABBITMQ_NODE_PORT; a port set with a flag or a config file needs its own HEALTHCHECK.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const s=require('net').connect(+(process.env.LEVERET_AMQP_PORT||process.env.RABBITMQ_NODE_PORT||5672),'127.0.0.1');s.setTimeout(4000,()=>process.exit(1));s.on('connect',()=>s.write(Buffer.from([65,77,81,80,0,0,9,1])));s.on('data',d=>process.exit(d[0]===1?0:1));s.on('error',()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/main.js"]
