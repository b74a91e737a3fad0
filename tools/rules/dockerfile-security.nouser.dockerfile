# Test case for dockerfile-security.yaml: the builder sets USER, the final stage never does.
# ok: dockerfile-missing-user
FROM python:3.12-slim AS build
USER 10001
RUN pip wheel --wheel-dir /wheels .

# ruleid: dockerfile-missing-user
FROM python:3.12-slim
COPY --from=build /wheels /wheels
# A comment that mentions USER does not count: USER app
RUN pip install /wheels/*.whl
CMD ["app"]
