# syntax=docker/dockerfile:1
# One Spring Boot service of the repository, built from source (multi-stage).
#   docker build -f docker/service.Dockerfile --build-arg MODULE=stream-gateway -t jdy/stream-gateway .
# MODULE: ipconfig-service | exporter-service | stream-gateway | llm-consumer | dev-llm
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
ARG MODULE
# the Maven repository is a BuildKit cache shared by every module's build (and kept across builds)
RUN --mount=type=cache,target=/root/.m2 \
    test -n "$MODULE" \
 && mvn -B -q -pl "$MODULE" -am -DskipTests -Dspotless.check.skip=true package \
 && cp "$MODULE"/target/*-exec.jar /app.jar

FROM eclipse-temurin:17-jre
# curl: the Compose health checks read /actuator/health/readiness (and dev-llm's /health)
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 jdy
COPY --from=build /app.jar /app/app.jar
USER 10001
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
