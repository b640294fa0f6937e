package io.herald.hub;

import io.herald.db.Revision;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

/**
 * Carries committed revisions to every verticle of every hub node. The body is the delta frame,
 * encoded once at commit, so fan-out writes the same string to every socket.
 */
final class RevisionBus {

  static final String H_NAMESPACE = "ns";
  static final String H_VERSION = "v";
  static final String H_COMMITTED_AT = "t";

  private RevisionBus() {
  }

  /** Publishes a committed revision to every node, as the frame {@link Frame#of(Revision)} encodes. */
  static void publish(Vertx vertx, Revision r) {
    Frame frame = Frame.of(r);
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader(H_NAMESPACE, frame.namespace())
        .addHeader(H_VERSION, Long.toString(frame.version()))
        .addHeader(H_COMMITTED_AT, Long.toString(frame.committedAt()));
    vertx.eventBus().publish(Addresses.REVISIONS, frame.text(), opts);
  }

  /**
   * A revision as it travels: already encoded. {@code committedAt} is the revision's created_at in
   * the database (epoch ms), the same on every node and for revisions read back to fill a gap.
   */
  record Frame(String namespace, long version, String text, int bytes, long committedAt) {

    /** The frame {@link #publish} sent, rebuilt from the event-bus message without decoding the body. */
    static Frame of(MultiMap headers, String body) {
      return new Frame(headers.get(H_NAMESPACE), Long.parseLong(headers.get(H_VERSION)), body, utf8Length(body),
          Long.parseLong(headers.get(H_COMMITTED_AT)));
    }

    /** The one encoder of a revision's delta frame (docs/protocol.md). */
    static Frame of(Revision r) {
      String text = Payloads.deltaFrame(r.namespace(), r.version() - 1, r.version(), r.changes()).encode();
      return new Frame(r.namespace(), r.version(), text, utf8Length(text), r.info().createdAt().toInstant().toEpochMilli());
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
