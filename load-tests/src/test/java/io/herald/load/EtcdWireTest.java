package io.herald.load;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written etcd protobuf codec against byte sequences worked out from the protobuf wire format. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("etcd wire codec: the messages the peer scenario speaks")
class EtcdWireTest {

  private static Buffer bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return Buffer.buffer(out);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a PutRequest is key (field 1) then value (field 2), both length-delimited")
  void putRequest() {
    assertEquals(bytes(0x0A, 3, 'f', 'o', 'o', 0x12, 3, 'b', 'a', 'r'), EtcdWire.putRequest(utf8("foo"), utf8("bar")));
  }

  @Test
  @DisplayName("a watch from now on nests the key in create_request and leaves start_revision out")
  void watchFromNow() {
    assertEquals(bytes(0x0A, 3, 0x0A, 1, 'k'), EtcdWire.watchCreateRequest(utf8("k"), 0));
  }

  @Test
  @DisplayName("a start revision of 300 is the two-byte varint AC 02 in field 3")
  void watchFromRevision() {
    assertEquals(bytes(0x0A, 6, 0x0A, 1, 'k', 0x18, 0xAC, 0x02), EtcdWire.watchCreateRequest(utf8("k"), 300));
  }

  @Test
  @DisplayName("a PutResponse's revision comes from its header's field 3, past the other header fields")
  void putResponse() {
    // header { cluster_id: 1, revision: 150, raft_term: 2 }
    assertEquals(150, EtcdWire.putResponseRevision(bytes(0x0A, 7, 0x08, 1, 0x18, 0x96, 0x01, 0x20, 2)));
  }

  @Test
  @DisplayName("the created answer of a watch is recognised, with its id")
  void created() {
    // header { revision: 5 }, watch_id: 7, created: true
    EtcdWire.WatchResponse r = EtcdWire.watchResponse(bytes(0x0A, 2, 0x18, 5, 0x10, 7, 0x18, 1));
    assertTrue(r.created());
    assertFalse(r.canceled());
    assertEquals(7, r.watchId());
    assertEquals(5, r.revision());
    assertTrue(r.events().isEmpty());
  }

  @Test
  @DisplayName("an event's key-value decodes field by field, and unknown fields of every wire type are skipped")
  void event() {
    EtcdWire.WatchResponse r = EtcdWire.watchResponse(bytes(
        0x0A, 2, 0x18, 5, // header { revision: 5 }
        0x28, 9, // compact_revision: 9 (not read)
        0x79, 1, 2, 3, 4, 5, 6, 7, 8, // field 15, fixed64 (unknown)
        0x7D, 1, 2, 3, 4, // field 15, fixed32 (unknown)
        0x5A, 14, // events (field 11), 14 bytes
        0x12, 12, // kv (field 2), 12 bytes; type PUT (0) left out
        0x0A, 1, 'k', 0x10, 2, 0x18, 5, 0x20, 4, 0x2A, 1, '7'));
    assertEquals(1, r.events().size());
    EtcdWire.Event e = r.events().get(0);
    assertEquals(0, e.type());
    assertArrayEquals(utf8("k"), e.kv().key());
    assertEquals(2, e.kv().createRevision());
    assertEquals(5, e.kv().modRevision());
    assertEquals(4, e.kv().version());
    assertEquals("7", e.kv().valueText());
  }

  @Test
  @DisplayName("a cancelled watch carries its reason")
  void canceled() {
    EtcdWire.WatchResponse r = EtcdWire.watchResponse(bytes(0x20, 1, 0x32, 2, 'n', 'o'));
    assertTrue(r.canceled());
    assertEquals("no", r.cancelReason());
  }

  @Test
  @DisplayName("a length past the end of the message or a cut varint is an error, not a wrong figure")
  void malformed() {
    assertThrows(IllegalArgumentException.class, () -> EtcdWire.watchResponse(bytes(0x5A, 20, 0x12)));
    assertThrows(IllegalArgumentException.class, () -> EtcdWire.putResponseRevision(bytes(0x0A, 3, 0x18, 0x96)));
    assertThrows(IllegalArgumentException.class, () -> EtcdWire.watchResponse(bytes(0x10, 0x80)));
  }
}
