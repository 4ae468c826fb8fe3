#!/usr/bin/env bash
# A real OpenSearch node (2.19, from Maven Central) for quarry's tests and benchmarks.
#   tests/opensearch/node.sh build                          # resolve the jars, compile (cached)
#   tests/opensearch/node.sh start NAME HTTP TRANSPORT [SEEDS [MANAGERS]]
#                                                           # start a node, wait until it answers
#   tests/opensearch/node.sh stop                           # stop the nodes started here, delete their data
# Nodes keep data and logs under $QUARRY_OPENSEARCH_HOME (default /tmp/quarry-opensearch);
# the integration tests (tests/it/opensearch.rs) start their own nodes the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${QUARRY_OPENSEARCH_HOME:-/tmp/quarry-opensearch}
heap=${QUARRY_OPENSEARCH_HEAP:-512m}

build() {
  if [ -f "$here/target/classes/quarry/tests/OpenSearchNode.class" ] && [ -d "$here/target/lib" ] \
     && [ "$here/target/classes/quarry/tests/OpenSearchNode.class" -nt "$here/pom.xml" ]; then
    return 0
  fi
  command -v java >/dev/null || { echo "node.sh: java is not installed (Java 17 or newer)" >&2; exit 2; }
  command -v mvn >/dev/null || { echo "node.sh: mvn is not installed" >&2; exit 2; }
  mkdir -p "$here/target"
  if ! mvn -B -q -Dstyle.color=never -f "$here/pom.xml" compile \
      org.apache.maven.plugins:maven-dependency-plugin:3.11.0:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$here/target/lib" > "$here/target/build.log" 2>&1; then
    echo "node.sh: the Maven build failed:" >&2
    cat "$here/target/build.log" >&2
    exit 1
  fi
}

start() {
  local name=$1 http=$2 transport=$3 seeds=${4:-} managers=${5:-node-1}
  build
  mkdir -p "$home/$name"
  nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false \
    -Dnode.name="$name" -Dhttp.port="$http" -Dtransport.port="$transport" -Dhome="$home/$name" \
    -Dseed.hosts="$seeds" -Dinitial.managers="$managers" \
    -cp "$here/target/classes:$here/target/lib/*" quarry.tests.OpenSearchNode \
    > "$home/$name.log" 2>&1 &
  echo $! > "$home/$name.pid"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$http/" >/dev/null 2>&1; then
      echo "node $name: http://127.0.0.1:$http/ (pid $(cat "$home/$name.pid"), log $home/$name.log)"
      return 0
    fi
    kill -0 "$(cat "$home/$name.pid")" 2>/dev/null || break
    sleep 1
  done
  echo "node.sh: node $name did not answer on port $http; the end of its log:" >&2
  tail -30 "$home/$name.log" >&2
  exit 1
}

stop() {
  # Stops the nodes started here and deletes their data (a node keeps its cluster's identity
  # in its data: a later node of another cluster could not start on it).
  for f in "$home"/*.pid; do
    [ -f "$f" ] || continue
    local pid name
    pid=$(cat "$f"); name=$(basename "$f" .pid)
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -rf "${home:?}/$name" "$f"
  done
}

case "${1:-}" in
  build) build ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: node.sh build | start NAME HTTP TRANSPORT [SEEDS [MANAGERS]] | stop" >&2; exit 2 ;;
esac
