# Test cases for dockerfile-security.yaml (semgrep --test). Deliberately insecure; every secret is fake.
# syntax=docker/dockerfile:1.7

# ruleid: dockerfile-image-not-pinned
FROM golang AS build
# ruleid: dockerfile-image-not-pinned
FROM --platform=$BUILDPLATFORM node:latest AS assets
# ok: dockerfile-image-not-pinned
FROM python:3.12-slim AS deps
# ok: dockerfile-image-not-pinned
FROM ghcr.io/acme/base@sha256:0f3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a AS pinned
# ruleid: dockerfile-image-not-pinned
FROM registry.internal:5000/team/tools AS tools
# ok: dockerfile-image-not-pinned
FROM registry.internal:5000/team/tools:2024.06 AS tools2
# ok: dockerfile-image-not-pinned
FROM build AS test
# ok: dockerfile-image-not-pinned
FROM ${BASE_IMAGE} AS from-arg
# ok: dockerfile-image-not-pinned
FROM scratch AS empty

USER root

# ruleid: dockerfile-curl-pipe-shell
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
# ruleid: dockerfile-curl-pipe-shell
RUN wget -qO- https://get.example.sh | sudo -E sh
# ruleid: dockerfile-curl-pipe-shell
RUN apt-get update && curl -sSL https://install.python-poetry.org | python3 -
# ruleid: dockerfile-curl-pipe-shell
RUN curl --retry 3 \
      -fsSL https://raw.githubusercontent.com/acme/tool/main/install.sh \
    | /bin/bash
# ruleid: dockerfile-curl-pipe-shell
RUN sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"
# ruleid: dockerfile-curl-pipe-shell
RUN bash <(wget -qO- https://get.example.sh)
# ok: dockerfile-curl-pipe-shell
RUN curl -fsSLo /tmp/install.sh https://get.example.sh \
    && echo "4f1a0b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh
# ok: dockerfile-curl-pipe-shell
RUN curl -fsSL https://example.com/data.json | jq .version
# ok: dockerfile-curl-pipe-shell
# RUN curl -fsSL https://get.example.sh | sh

# ruleid: dockerfile-secret-in-env-or-arg
ENV DB_PASSWORD=s3cr3t-Passw0rd
# ruleid: dockerfile-secret-in-env-or-arg
ENV GITHUB_TOKEN ghx_4f8b2c9d1e7a6b3c5d8e
# ruleid: dockerfile-secret-in-env-or-arg
ARG NPM_TOKEN=q8f7Zk2LmN4pR6tV9wXy
# ruleid: dockerfile-secret-in-env-or-arg
ENV APP_ENV=production API_KEY="Zx81-pQ02-mn4K-77aa"
# ruleid: dockerfile-secret-in-env-or-arg
ENV LANG=C.UTF-8 \
    CLIENT_SECRET=9f2c7e1a5b8d4f6a0c3e
# ok: dockerfile-secret-in-env-or-arg
ARG NPM_TOKEN
# ok: dockerfile-secret-in-env-or-arg
ENV NPM_TOKEN=${NPM_TOKEN}
# ok: dockerfile-secret-in-env-or-arg
ENV DB_PASSWORD_FILE=/run/secrets/db_password
# ok: dockerfile-secret-in-env-or-arg
ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305
# ok: dockerfile-secret-in-env-or-arg
ENV TOKEN_TTL=3600
# ok: dockerfile-secret-in-env-or-arg
ENV ADMIN_PASSWORD=changeme
# ok: dockerfile-secret-in-env-or-arg
ENV SESSION_SECRET=""
# ok: dockerfile-secret-in-env-or-arg
RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci

# ruleid: dockerfile-add-remote-url
ADD https://github.com/acme/tool/releases/download/v1.2.3/tool-linux-amd64.tar.gz /opt/
# ruleid: dockerfile-add-remote-url
ADD --chown=10001:10001 http://downloads.example.org/agent.jar /opt/agent.jar
# ok: dockerfile-add-remote-url
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.org/x.tgz /opt/
# ok: dockerfile-add-remote-url
ADD vendor/tool.tar.gz /opt/

# ruleid: dockerfile-world-writable-permissions
RUN mkdir -p /srv/app/spool && chmod -R 777 /srv/app
# ruleid: dockerfile-world-writable-permissions
RUN chmod o+w /srv/app/config.yml
# ruleid: dockerfile-world-writable-permissions
COPY --chmod=0666 settings.ini /srv/app/
# ruleid: dockerfile-world-writable-permissions
RUN install -d /srv/app/tmp && chmod 1777 /srv/app/tmp
# ok: dockerfile-world-writable-permissions
RUN chown -R 10001:10001 /srv/app && chmod -R 750 /srv/app && chmod 770 /srv/app/spool
# ok: dockerfile-world-writable-permissions
RUN chmod +x /usr/local/bin/entrypoint.sh && chmod u+w,go-w /srv/app
# ok: dockerfile-world-writable-permissions
COPY --chmod=0755 entrypoint.sh /usr/local/bin/

# The final stage: pinned, with an unprivileged USER last (the root USERs before it are not reported).
# ok: dockerfile-image-not-pinned
FROM python:3.12.4-slim@sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809
COPY --from=build /out/app /usr/local/bin/app
USER root
RUN useradd --uid 10001 --no-create-home app
USER 10001
CMD ["app"]
