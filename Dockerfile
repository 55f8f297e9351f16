# Brug: one binary, with the partner directory beside it.
# Build: docker build -t brug .
# Run:   docker compose up (compose.yaml: Brug on PostgreSQL), or
#        docker run -p 8080:8080 -v brug-data:/var/lib/brug brug (SQLite)
# Checked without a daemon by .ci/dockerfile-check (see the README).
# Base images are pinned to exact versions; move them on deliberately.

FROM rust:1.95.0-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a code change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
# Every target the manifest names must exist (the bench and the test suite
# too), or cargo refuses the manifest; stand-ins do for this layer.
RUN mkdir -p src tests/api tests/browser benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > tests/api/main.rs \
    && echo 'fn main() {}' > tests/browser/main.rs \
    && echo 'fn main() {}' > benches/reports.rs \
    && echo 'fn main() {}' > benches/pages.rs \
    && echo 'fn main() {}' > benches/report_cost.rs \
    && mkdir -p benches/throughput && echo 'fn main() {}' > benches/throughput/main.rs \
    && cargo build --release --locked \
    && rm -rf src tests benches
COPY src src
# The web UI's templates, texts and assets are compiled into the binary.
COPY templates templates
COPY locales locales
COPY web/static web/static
COPY migrations migrations
COPY benches benches
COPY tests tests
# The release profile strips the binary and links it with thin LTO.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:12.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/brug --create-home brug
COPY --from=build /src/target/release/brug /usr/local/bin/brug
COPY partners /etc/brug/partners
USER brug
WORKDIR /var/lib/brug
ENV BRUG_ADDR=0.0.0.0:8080 \
    BRUG_PARTNERS_DIR=/etc/brug/partners \
    BRUG_LOG_FORMAT=json \
    DATABASE_URL=sqlite:///var/lib/brug/brug.sqlite
# Production: set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB at run time.
VOLUME ["/var/lib/brug"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["brug"]
CMD ["serve"]
