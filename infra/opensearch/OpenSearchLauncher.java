import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Runs one OpenSearch node in this JVM with the plugins we need on the classpath, for tests on
 * loopback. OpenSearch's own launcher loads plugins from folders and runs bootstrap checks that
 * refuse root; embedding the node the way OpenSearch's test MockNode does avoids both.
 *
 * Arguments: the config folder (holding log4j2.properties), then key=value node settings.
 */
public final class OpenSearchLauncher extends Node {
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        MapperExtrasPlugin.class,
        PainlessPlugin.class);

    private OpenSearchLauncher(Environment environment) {
        super(environment, PLUGINS, true);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: OpenSearchLauncher <config dir> [key=value ...]");
        }
        Path configDir = Paths.get(args[0]).toAbsolutePath();
        Settings.Builder builder = Settings.builder();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("setting without '=': " + args[i]);
            }
            builder.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Settings settings = builder.build();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), configDir, () -> settings.get("node.name", "node-1"));
        LogConfigurator.configure(environment);

        OpenSearchLauncher node = new OpenSearchLauncher(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM (infra:down) closes the node so its shards are flushed before the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "opensearch-shutdown"));
        node.start();
        stopped.await();
    }
}
