package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.Revision;
import io.herald.db.RevisionInfo;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
@DisplayName("RevisionBus: one encoder of the delta frame (no server)")
class RevisionBusTest {

  @Test
  @DisplayName("a published revision arrives as the same frame Frame.of builds, stamped with the database's commit time")
  void publishedFrameIsTheEncodedFrame(Vertx vertx, VertxTestContext ctx) {
    OffsetDateTime createdAt = OffsetDateTime.of(2025, 5, 14, 9, 41, 2, 118_204_000, ZoneOffset.UTC);
    Revision r = new Revision(new RevisionInfo("payments.prod", 3, 2, "rollback", 1L, "admin", "undo", 2, createdAt),
        List.of(Change.put("a", new JsonObject().put("x", 1)), Change.delete("b")));
    vertx.eventBus().<String>consumer(Addresses.REVISIONS, msg -> ctx.verify(() -> {
      RevisionBus.Frame frame = RevisionBus.Frame.of(msg.headers(), msg.body());
      assertEquals(RevisionBus.Frame.of(r), frame);
      assertEquals(createdAt.toInstant().toEpochMilli(), frame.committedAt());
      assertEquals(new JsonObject("""
          {"type":"delta","namespace":"payments.prod","base":2,"version":3,
           "changes":[{"key":"a","op":"put","value":{"x":1}},{"key":"b","op":"delete"}]}"""),
          new JsonObject(frame.text()));
      ctx.completeNow();
    })).completion().onComplete(ctx.succeeding(v -> RevisionBus.publish(vertx, RevisionBus.Frame.of(r))));
  }
}
