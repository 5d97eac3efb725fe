# The archive as a container: one process serving the site from the data volume /data.
#   docker build -t uscm-archive .
#   docker run -d -p 127.0.0.1:8000:8000 -v uscm-data:/data -e USCM_ARCHIVE_BASE_URL=https://archive.example.org uscm-archive
# tests/test_deploy.py lints this file and runs its build, install, serve and health-check commands as processes.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY transcripts/ transcripts/
COPY catalog/ catalog/
COPY archive/ archive/
COPY web/ web/
COPY uscm_archive/ uscm_archive/
RUN pip install --no-cache-dir build==1.6.1 && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    USCM_ARCHIVE_DATA=/data \
    PATH=/opt/uscm-archive/bin:$PATH
COPY --from=build /wheels /wheels
RUN python -m venv /opt/uscm-archive && /opt/uscm-archive/bin/pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels
RUN groupadd --system --gid 10001 uscm \
    && useradd --system --uid 10001 --gid uscm --home-dir /data --no-create-home --shell /usr/sbin/nologin uscm \
    && mkdir -p /data && chown uscm:uscm /data && chmod 700 /data
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["uscm-archive", "serve", "--host", "0.0.0.0", "--port", "8000"]
