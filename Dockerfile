# Production-like image: the kenshu binary and the course content on Debian slim.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
ENV SQLX_OFFLINE=true
RUN cargo build --release -p kenshu

FROM debian:bookworm-slim
RUN useradd --system --home /app kenshu
WORKDIR /app
COPY --from=build /src/target/release/kenshu /usr/local/bin/kenshu
COPY content /app/content
USER kenshu
ENV KENSHU_BIND=0.0.0.0:8080
EXPOSE 8080
CMD ["/bin/sh", "-c", "kenshu migrate && kenshu content load /app/content && exec kenshu serve"]
