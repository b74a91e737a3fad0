# Test case for dockerfile-security.yaml: the final stage switches back to root.
FROM python:3.12-slim AS build
# A root USER in an earlier stage does not decide who the final image runs as.
# ok: dockerfile-last-user-root
USER root
RUN pip wheel --wheel-dir /wheels .

FROM python:3.12-slim
USER app
COPY --from=build /wheels /wheels
# ruleid: dockerfile-last-user-root
USER root:root
RUN pip install /wheels/*.whl
CMD ["app"]
