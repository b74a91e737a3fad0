# opsquad's container image: `opsquad serve` (the Slack bot, the Alertmanager webhook, /healthz, /readyz,
# /metrics) for Kubernetes (deploy/). The model runs in its own container (llama.cpp, vLLM or Ollama), so this
# image holds no weights; `opsquad model pull` in it fetches them for the model server's init container.
#   docker build -t ghcr.io/opsquad/opsquad:0.1.0 .
# Pin the base image by digest in your copy (FROM python:3.11-slim@sha256:...).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    SEMGREP_ENABLE_VERSION_CHECK=0 \
    OPSQUAD_STATE_DIR=/var/lib/opsquad \
    HOME=/tmp

# An unprivileged user with a fixed UID, so Kubernetes' runAsNonRoot can verify it (runAsUser: 10001).
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin opsquad \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/opsquad

WORKDIR /opt/opsquad
COPY pyproject.toml README.md ./
COPY opsquad ./opsquad
COPY agents ./agents
COPY tools ./tools
COPY workflows ./workflows
COPY evals ./evals
# The postgres extra: several replicas share run state through the Postgres checkpointer.
RUN pip install --no-compile '.[postgres]' && rm -rf build ./*.egg-info

USER 10001
EXPOSE 8080
ENTRYPOINT ["opsquad"]
# In a container the server must listen on the pod's IP, hence 0.0.0.0 here; everywhere else `opsquad serve`
# keeps its loopback default. Set OPSQUAD_ALERTMANAGER_TOKEN: anything that reaches the port can post alerts.
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
