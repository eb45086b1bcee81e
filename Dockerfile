# videobot: slim Python, a system ffmpeg, a non-root user, `videobot run` as the command.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 videobot \
    && mkdir -p /data && chown videobot:videobot /data
COPY --from=build /install /usr/local
USER videobot
WORKDIR /home/videobot
ENV VIDEOBOT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
CMD ["videobot", "run"]
