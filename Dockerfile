# Production-like image: the kenshu binary and the course content on Debian slim. It serves
# as the role of DATABASE_URL, which must own nothing; migrations run separately as the owner
# (`kenshu migrate` with KENSHU_MIGRATE_URL, the `migrate` service of docker-compose.yml).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
ENV SQLX_OFFLINE=true
RUN cargo build --release -p kenshu

FROM debian:bookworm-slim
RUN useradd --system --home /app kenshu \
 && install -d -o kenshu -g kenshu -m 700 /var/lib/kenshu
WORKDIR /app
COPY --from=build /src/target/release/kenshu /usr/local/bin/kenshu
COPY content /app/content
USER kenshu
# The audit log's key and checkpoints (mount a volume here and back it up).
ENV KENSHU_DATA_DIR=/var/lib/kenshu
ENV KENSHU_BIND=0.0.0.0:8080
EXPOSE 8080
CMD ["kenshu", "serve"]
