import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;

/**
 * bench/soak.sh's JetStream clean-up: deletes every stream whose name starts with PREFIX (the soak's
 * own {@code nats.jetstream.namePrefix}, unique per run), so a soak leaves nothing behind on a shared
 * NATS server. Run from source against the product jar (it carries jnats):
 *
 * <pre>java -cp target/tenantgate.jar bench/SoakNats.java delete-streams nats://127.0.0.1:4222 PREFIX</pre>
 */
public final class SoakNats {
  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !args[0].equals("delete-streams") || args[2].length() < 6) {
      System.err.println("usage: SoakNats.java delete-streams NATS-URL PREFIX (at least 6 characters)");
      System.exit(2);
    }
    Options options = new Options.Builder().server(args[1]).connectionTimeout(Duration.ofSeconds(5))
        .maxReconnects(0).build();
    try (Connection nc = Nats.connect(options)) {
      JetStreamManagement jsm = nc.jetStreamManagement();
      int deleted = 0;
      for (String name : jsm.getStreamNames()) {
        if (name.startsWith(args[2])) {
          jsm.deleteStream(name);
          deleted++;
        }
      }
      System.out.println("deleted " + deleted + " JetStream stream(s) named " + args[2] + "*");
    }
  }
}
