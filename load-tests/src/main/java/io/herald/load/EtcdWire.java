package io.herald.load;

import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few etcd v3 protobuf messages the {@code peer} scenario speaks, encoded and decoded by hand
 * (protobuf wire format: varints and length-delimited fields), so that Vert.x 5's own gRPC client
 * can talk to etcd without generated classes. Field numbers from etcd's api/etcdserverpb/rpc.proto
 * and api/mvccpb/kv.proto:
 * <pre>
 * PutRequest         { bytes key = 1; bytes value = 2; }
 * PutResponse        { ResponseHeader header = 1; }
 * ResponseHeader     { uint64 cluster_id = 1; uint64 member_id = 2; int64 revision = 3; uint64 raft_term = 4; }
 * WatchRequest       { oneof { WatchCreateRequest create_request = 1; ... } }
 * WatchCreateRequest { bytes key = 1; bytes range_end = 2; int64 start_revision = 3; }
 * WatchResponse      { ResponseHeader header = 1; int64 watch_id = 2; bool created = 3; bool canceled = 4;
 *                      int64 compact_revision = 5; string cancel_reason = 6; repeated Event events = 11; }
 * Event              { EventType type = 1; KeyValue kv = 2; KeyValue prev_kv = 3; }
 * KeyValue           { bytes key = 1; int64 create_revision = 2; int64 mod_revision = 3; int64 version = 4;
 *                      bytes value = 5; int64 lease = 6; }
 * </pre>
 * Unknown fields are skipped, as protobuf requires.
 */
final class EtcdWire {

  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH = 2;
  private static final int FIXED32 = 5;

  private EtcdWire() {
  }

  /** One key-value of a watch event. */
  record KeyValue(byte[] key, long createRevision, long modRevision, long version, byte[] value) {
    String valueText() {
      return new String(value, StandardCharsets.UTF_8);
    }
  }

  /** One event: type 0 is PUT, 1 DELETE. */
  record Event(int type, KeyValue kv) {
  }

  /** A WatchResponse; {@code revision} is its header's. */
  record WatchResponse(long revision, long watchId, boolean created, boolean canceled, String cancelReason,
                       List<Event> events) {
  }

  static Buffer putRequest(byte[] key, byte[] value) {
    Out out = new Out();
    out.bytes(1, key);
    out.bytes(2, value);
    return out.buffer();
  }

  /** A WatchRequest creating a watch of one key, from {@code startRevision} (0: from now on). */
  static Buffer watchCreateRequest(byte[] key, long startRevision) {
    Out create = new Out();
    create.bytes(1, key);
    if (startRevision != 0) {
      create.varint(3, startRevision);
    }
    Out request = new Out();
    request.bytes(1, create.toByteArray());
    return request.buffer();
  }

  /** The revision a PutResponse's header carries. */
  static long putResponseRevision(Buffer message) {
    In in = new In(message.getBytes());
    long revision = 0;
    while (in.more()) {
      int tag = in.tag();
      if (tag >>> 3 == 1 && (tag & 7) == LENGTH) {
        revision = headerRevision(in.bytes());
      } else {
        in.skip(tag);
      }
    }
    return revision;
  }

  static WatchResponse watchResponse(Buffer message) {
    In in = new In(message.getBytes());
    long revision = 0;
    long watchId = 0;
    boolean created = false;
    boolean canceled = false;
    String reason = "";
    List<Event> events = new ArrayList<>(1);
    while (in.more()) {
      int tag = in.tag();
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == 1 && wire == LENGTH) {
        revision = headerRevision(in.bytes());
      } else if (field == 2 && wire == VARINT) {
        watchId = in.varint();
      } else if (field == 3 && wire == VARINT) {
        created = in.varint() != 0;
      } else if (field == 4 && wire == VARINT) {
        canceled = in.varint() != 0;
      } else if (field == 6 && wire == LENGTH) {
        reason = new String(in.bytes(), StandardCharsets.UTF_8);
      } else if (field == 11 && wire == LENGTH) {
        events.add(event(in.bytes()));
      } else {
        in.skip(tag);
      }
    }
    return new WatchResponse(revision, watchId, created, canceled, reason, events);
  }

  private static long headerRevision(byte[] header) {
    In in = new In(header);
    long revision = 0;
    while (in.more()) {
      int tag = in.tag();
      if (tag >>> 3 == 3 && (tag & 7) == VARINT) {
        revision = in.varint();
      } else {
        in.skip(tag);
      }
    }
    return revision;
  }

  private static Event event(byte[] bytes) {
    In in = new In(bytes);
    int type = 0;
    KeyValue kv = null;
    while (in.more()) {
      int tag = in.tag();
      if (tag >>> 3 == 1 && (tag & 7) == VARINT) {
        type = (int) in.varint();
      } else if (tag >>> 3 == 2 && (tag & 7) == LENGTH) {
        kv = keyValue(in.bytes());
      } else {
        in.skip(tag);
      }
    }
    return new Event(type, kv);
  }

  private static KeyValue keyValue(byte[] bytes) {
    In in = new In(bytes);
    byte[] key = new byte[0];
    byte[] value = new byte[0];
    long create = 0;
    long mod = 0;
    long version = 0;
    while (in.more()) {
      int tag = in.tag();
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == 1 && wire == LENGTH) {
        key = in.bytes();
      } else if (field == 2 && wire == VARINT) {
        create = in.varint();
      } else if (field == 3 && wire == VARINT) {
        mod = in.varint();
      } else if (field == 4 && wire == VARINT) {
        version = in.varint();
      } else if (field == 5 && wire == LENGTH) {
        value = in.bytes();
      } else {
        in.skip(tag);
      }
    }
    return new KeyValue(key, create, mod, version, value);
  }

  /** Protobuf output: fields in the order written (proto3 leaves zero and empty scalars out). */
  static final class Out {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    void varint(int field, long value) {
      rawVarint((long) field << 3 | VARINT);
      rawVarint(value);
    }

    void bytes(int field, byte[] value) {
      rawVarint((long) field << 3 | LENGTH);
      rawVarint(value.length);
      bytes.writeBytes(value);
    }

    private void rawVarint(long v) {
      while ((v & ~0x7FL) != 0) {
        bytes.write((int) (v & 0x7F) | 0x80);
        v >>>= 7;
      }
      bytes.write((int) v);
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }

    Buffer buffer() {
      return Buffer.buffer(bytes.toByteArray());
    }
  }

  /** Protobuf input over one message's bytes; malformed input fails with IllegalArgumentException. */
  static final class In {
    private final byte[] b;
    private int pos;

    In(byte[] b) {
      this.b = b;
    }

    boolean more() {
      return pos < b.length;
    }

    int tag() {
      long tag = varint();
      if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("bad protobuf tag " + tag + " at " + pos);
      }
      return (int) tag;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= b.length) {
          throw new IllegalArgumentException("truncated varint");
        }
        byte x = b[pos++];
        v |= (long) (x & 0x7F) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    byte[] bytes() {
      long len = varint();
      if (len < 0 || len > b.length - pos) {
        throw new IllegalArgumentException("length " + len + " beyond the message");
      }
      byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + (int) len);
      pos += (int) len;
      return out;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case VARINT -> varint();
        case FIXED64 -> advance(8);
        case LENGTH -> bytes();
        case FIXED32 -> advance(4);
        default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
      }
    }

    private void advance(int n) {
      if (n > b.length - pos) {
        throw new IllegalArgumentException("truncated field");
      }
      pos += n;
    }
  }
}
