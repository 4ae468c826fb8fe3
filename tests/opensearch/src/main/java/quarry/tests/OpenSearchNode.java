package quarry.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One real OpenSearch node (the server jar from Maven Central, HTTP and transport over Netty,
 * the language analyzers, reindex and delete-by-query) in this JVM, for quarry's tests and benchmarks: what a distribution
 * runs, without its launcher. Started by start-node.sh; stopped by SIGTERM.
 *
 * <p>System properties: node.name, http.port, transport.port, home (data and logs under it),
 * cluster.name, seed.hosts (comma list; absent: a single-node cluster), initial.managers (comma
 * list of node names that may form the cluster), roles (comma list, e.g. data,ingest for a node
 * that can never be elected cluster manager), watch.stdin (true: exit when standard input
 * closes, so a node started by a test dies with the test process however that ends).
 */
public final class OpenSearchNode extends Node {
    private OpenSearchNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
        super(
            InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), null, () -> settings.get("node.name")),
            plugins,
            true);
    }

    private static String prop(String key, String fallback) {
        return System.getProperty(key, fallback);
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        String name = prop("node.name", "node-1");
        Path home = Path.of(prop("home", System.getProperty("java.io.tmpdir") + "/quarry-opensearch/" + name));
        Files.createDirectories(home.resolve("config"));
        Settings.Builder settings = Settings.builder()
            .put("cluster.name", prop("cluster.name", "quarry-test"))
            .put("node.name", name)
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", prop("http.port", "9200"))
            .put("transport.port", prop("transport.port", "9300"))
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // Test machines have little free disk at times: never refuse shards for it.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        String roles = System.getProperty("roles");
        if (roles != null && !roles.isEmpty()) {
            settings.putList("node.roles", roles.split(","));
        }
        String seeds = System.getProperty("seed.hosts");
        if (seeds == null || seeds.isEmpty()) {
            settings.put("discovery.type", "single-node");
        } else {
            settings.putList("discovery.seed_hosts", seeds.split(","));
            settings.putList("cluster.initial_cluster_manager_nodes", prop("initial.managers", "node-1").split(","));
        }
        Node node = new OpenSearchNode(
            settings.build(), List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, ReindexPlugin.class));
        node.start();
        System.out.printf("OPENSEARCH NODE STARTED %s http=127.0.0.1:%s in %.1f s%n",
            name, prop("http.port", "9200"), (System.nanoTime() - started) / 1e9);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            closed.countDown();
        }));
        if (Boolean.parseBoolean(prop("watch.stdin", "false"))) {
            Thread watch = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // Nothing is read from standard input: it only tells when the parent is gone.
                    }
                } catch (Exception ignored) {
                    // A broken pipe means the same.
                }
                System.exit(0);
            }, "stdin-watch");
            watch.setDaemon(true);
            watch.start();
        }
        closed.await();
    }
}
