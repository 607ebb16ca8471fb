FROM python:3.11-slim

RUN useradd --system --uid 1337 --create-home --home-dir /home/matrix-social matrix-social \
    && mkdir /data && chown matrix-social /data

WORKDIR /opt/matrix-social
COPY pyproject.toml README.md ./
COPY matrix_social ./matrix_social
# The default install includes end-to-bridge encryption (python-olm, from its manylinux
# wheel); the import check fails the build if it is missing.
RUN pip install --no-cache-dir . && rm -rf /root/.cache \
    && python -c "import olm, Crypto, unpaddedbase64, base58"

COPY docker-run.sh /usr/local/bin/docker-run.sh

# Listen on all interfaces inside the container; the rest comes from /data/config.yaml.
ENV MATRIX_SOCIAL_APPSERVICE_HOSTNAME=0.0.0.0

USER matrix-social
VOLUME /data
EXPOSE 29340
CMD ["/usr/local/bin/docker-run.sh"]
