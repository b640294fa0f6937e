package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Carries committed revisions to every verticle of every hub node. The body is the delta frame,
 * encoded once at commit, so fan-out writes the same string to every socket.
 *
 * <p>A delta frame is {@link #prefix} + its changes array + "}": the writer stores the SHA-256 of
 * the changes array with the revision ({@link Sealed}), and receivers check the frames they get
 * from other nodes against it ({@link FrameCheck}).
 */
final class RevisionBus {

  static final String H_NAMESPACE = "ns";
  static final String H_VERSION = "v";
  static final String H_COMMITTED_AT = "t";

  private RevisionBus() {
  }

  /** Publishes a committed revision's frame to every node. */
  static void publish(Vertx vertx, Frame frame) {
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader(H_NAMESPACE, frame.namespace())
        .addHeader(H_VERSION, Long.toString(frame.version()))
        .addHeader(H_COMMITTED_AT, Long.toString(frame.committedAt()));
    vertx.eventBus().publish(Addresses.REVISIONS, frame.text(), opts);
  }

  /**
   * The delta frame up to its changes array, as Payloads.deltaFrame encodes it (field order is
   * insertion order, and a namespace needs no escaping).
   */
  static String prefix(String namespace, long version) {
    return "{\"type\":\"delta\",\"namespace\":\"" + namespace + "\",\"base\":" + (version - 1) + ",\"version\":"
        + version + ",\"changes\":";
  }

  /** A write's changes before commit: in stored (key) order, encoded once, with the digest to store. */
  record Sealed(List<Change> changes, String changesText, byte[] sha256) {
  }

  static Sealed seal(List<Change> changes) {
    List<Change> sorted = ConfigStore.inKeyOrder(changes);
    String text = Payloads.changes(sorted).encode();
    return new Sealed(sorted, text, sha256(CharBuffer.wrap(text)));
  }

  /**
   * The SHA-256 of the changes array of {@code f}, or null when {@code f} is not shaped as the
   * delta frame of its namespace and version (which no hub publishes).
   */
  static byte[] changesSha256(Frame f) {
    String prefix = prefix(f.namespace(), f.version());
    String text = f.text();
    if (text.length() <= prefix.length() || !text.startsWith(prefix) || text.charAt(text.length() - 1) != '}') {
      return null;
    }
    return sha256(CharBuffer.wrap(text, prefix.length(), text.length() - 1));
  }

  private static byte[] sha256(CharBuffer chars) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(StandardCharsets.UTF_8.encode(chars));
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * A revision as it travels: already encoded. {@code committedAt} is the revision's created_at in
   * the database (epoch ms), the same on every node and for revisions read back to fill a gap.
   */
  record Frame(String namespace, long version, String text, int bytes, long committedAt) {

    /**
     * The frame {@link #publish} sent, rebuilt from the event-bus message without decoding the body;
     * as received, not yet checked. Fails (NullPointerException, NumberFormatException,
     * ClassCastException) on a message no hub sends.
     */
    static Frame of(MultiMap headers, Object body) {
      String text = (String) body;
      return new Frame(headers.get(H_NAMESPACE), Long.parseLong(headers.get(H_VERSION)), text, utf8Length(text),
          Long.parseLong(headers.get(H_COMMITTED_AT)));
    }

    /** The one encoder of a revision's delta frame (docs/protocol.md). */
    static Frame of(Revision r) {
      return of(r, Payloads.changes(r.changes()).encode());
    }

    /** The delta frame of {@code r}, whose changes array {@link #seal} encoded before the commit. */
    static Frame of(Revision r, String changesText) {
      String text = prefix(r.namespace(), r.version()) + changesText + "}";
      return new Frame(r.namespace(), r.version(), text, utf8Length(text), r.info().createdAt().toInstant().toEpochMilli());
    }

    /** The same frame, stamped with the commit time the database holds. */
    Frame committedAt(long epochMillis) {
      return new Frame(namespace, version, text, bytes, epochMillis);
    }
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
