package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Scoped tokens (stored as a SHA-256 of the token, never the token) and the audit trail of who
 * created and revoked them. Tokens are high-entropy random strings, so a fast hash is enough.
 * Every Future fails with a {@link StoreException}; a taken name is {@link StoreException.Duplicate}.
 */
public final class TokenStore {

  private static final SecureRandom RANDOM = new SecureRandom();
  private final Pool pool;

  public TokenStore(Pool pool) {
    this.pool = pool;
  }

  public record TokenRow(String id, String name, String role, List<String> namespaces, byte[] secretHash,
                         OffsetDateTime createdAt, String createdBy, OffsetDateTime revokedAt, String revokedBy) {

    public boolean revoked() {
      return revokedAt != null;
    }
  }

  /** A new token: the row as stored and the token itself, which exists nowhere else. */
  public record Created(TokenRow row, String token) {
  }

  public Future<Created> create(String name, String role, List<String> namespaces, String createdBy) {
    byte[] idBytes = new byte[6];
    byte[] secret = new byte[24];
    RANDOM.nextBytes(idBytes);
    RANDOM.nextBytes(secret);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(idBytes).replace('_', 'x').replace('-', 'y');
    String token = "hrld_" + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    byte[] hash = sha256(token);
    return pool.withTransaction(conn -> conn.preparedQuery("""
            INSERT INTO tokens (id, name, role, namespaces, secret_hash, created_by)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at""")
        .execute(Tuple.tuple().addString(id).addString(name).addString(role)
            .addArrayOfString(namespaces.toArray(String[]::new)).addBuffer(Buffer.buffer(hash)).addString(createdBy))
        .compose(rows -> audit(conn, createdBy, "token.created",
                new JsonObject().put("id", id).put("name", name).put("role", role).put("namespaces", namespaces))
            .map(v -> new Created(new TokenRow(id, name, role, List.copyOf(namespaces), hash,
                rows.iterator().next().getOffsetDateTime(0), createdBy, null, null), token))))
        .recover(Sql::translated);
  }

  public Future<List<TokenRow>> list() {
    return pool.query("SELECT * FROM tokens ORDER BY created_at, name").execute().map(rows -> {
      List<TokenRow> out = new ArrayList<>();
      rows.forEach(r -> out.add(row(r)));
      return out;
    }).recover(Sql::translated);
  }

  /** The token row for the id in a presented token, or null. */
  public Future<TokenRow> find(String id) {
    return pool.preparedQuery("SELECT * FROM tokens WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : row(rows.iterator().next())).recover(Sql::translated);
  }

  /** Revokes a token; false when there is no such token or it was revoked already. */
  public Future<Boolean> revoke(String id, String revokedBy) {
    return pool.withTransaction(conn -> conn.preparedQuery("""
            UPDATE tokens SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL
            RETURNING name""")
        .execute(Tuple.of(id, revokedBy))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
            : audit(conn, revokedBy, "token.revoked",
                new JsonObject().put("id", id).put("name", rows.iterator().next().getString(0))).map(v -> true)))
        .recover(Sql::translated);
  }

  public Future<List<JsonObject>> auditLog(int limit) {
    return pool.preparedQuery("SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1")
        .execute(Tuple.of(limit)).map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new JsonObject().put("id", r.getLong("id")).put("at", r.getOffsetDateTime("at").toInstant().toString())
                .put("actor", r.getString("actor")).put("action", r.getString("action"))
                .put("detail", (JsonObject) r.getValue("detail")));
          }
          return out;
        }).recover(Sql::translated);
  }

  private static Future<Void> audit(io.vertx.sqlclient.SqlConnection conn, String actor, String action, JsonObject detail) {
    return conn.preparedQuery("INSERT INTO audit_log (actor, action, detail) VALUES ($1, $2, $3)")
        .execute(Tuple.of(actor, action, detail)).mapEmpty();
  }

  /** True when {@code token} is the one this row was created for. */
  public static boolean matches(TokenRow row, String token) {
    return MessageDigest.isEqual(row.secretHash(), sha256(token));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TokenRow row(Row r) {
    return new TokenRow(r.getString("id"), r.getString("name"), r.getString("role"),
        Arrays.asList(r.getArrayOfStrings("namespaces")), r.getBuffer("secret_hash").getBytes(),
        r.getOffsetDateTime("created_at"), r.getString("created_by"), r.getOffsetDateTime("revoked_at"),
        r.getString("revoked_by"));
  }
}
