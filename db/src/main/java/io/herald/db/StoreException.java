package io.herald.db;

/**
 * Every way a store's Future fails: a domain failure (the request was understood but cannot be
 * carried out), or the database's own failure translated into a type ({@link Sql#translate}), so
 * callers map types, never SQL states or client classes. The original failure is the cause.
 */
public class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message, null, false, false);
  }

  protected StoreException(String message, Throwable cause) {
    super(message, cause, false, false);
  }

  /** No namespace of that name has any revision. */
  public static final class NamespaceNotFound extends StoreException {
    public NamespaceNotFound(String namespace) {
      super("namespace '" + namespace + "' does not exist");
    }
  }

  /** The namespace exists but has no such version. */
  public static final class VersionNotFound extends StoreException {
    public final long head;

    public VersionNotFound(String namespace, long version, long head) {
      super("namespace '" + namespace + "' has no version " + version + " (head is " + head + ")");
      this.head = head;
    }
  }

  /** A delete names a key the namespace does not hold. */
  public static final class KeyNotFound extends StoreException {
    public KeyNotFound(String namespace, String key) {
      super("namespace '" + namespace + "' has no key '" + key + "'");
    }
  }

  /**
   * A write reached its namespace validated against another schema version than the one in force
   * ({@code schemaVersion}, 0 for none; migration V9): nothing was written; validate it against the
   * schema in force and send it again.
   */
  public static final class SchemaPresent extends StoreException {
    public final long schemaVersion;

    public SchemaPresent(String namespace, long schemaVersion) {
      super("namespace '" + namespace + "' has a schema (version " + schemaVersion + ")");
      this.schemaVersion = schemaVersion;
    }
  }

  /**
   * The namespace has an unfinished progressive rollout (of {@code version}) and the revision is
   * not one of it (migration V12): nothing was written.
   */
  public static final class RolloutActive extends StoreException {
    public final String namespace;
    public final long version;

    public RolloutActive(String namespace, long version) {
      super("namespace '" + namespace + "' has an unfinished rollout of version " + version);
      this.namespace = namespace;
      this.version = version;
    }
  }

  /** Compare-and-set failed: the caller based its change on an older head. */
  public static final class VersionConflict extends StoreException {
    public final long head;

    public VersionConflict(String namespace, long expected, long head) {
      super("namespace '" + namespace + "' is at version " + head + ", not " + expected);
      this.head = head;
    }
  }

  /**
   * The database cannot serve the request now: unreachable, connection lost, pool saturated or
   * timed out, shutting down, out of resources, or a transient conflict (deadlock, serialization).
   * Retrying later may succeed.
   */
  public static final class Unavailable extends StoreException {
    public Unavailable(Throwable cause) {
      super("the database is unavailable: " + cause, cause);
    }
  }

  /**
   * The database refuses the data itself (SQLSTATE class 22 or 23): sending the same again fails
   * again. Subtypes say why when a caller can act on it.
   */
  public static class Refused extends StoreException {
    public Refused(Throwable cause) {
      super("the database refuses the data: " + cause, cause);
    }
  }

  /** A value PostgreSQL cannot store (class 22), such as U+0000 in a jsonb string or in text. */
  public static final class InvalidValue extends Refused {
    public InvalidValue(Throwable cause) {
      super(cause);
    }
  }

  /** A unique constraint refuses the row (23505); {@code constraint} names it, when known. */
  public static final class Duplicate extends Refused {
    public final String constraint;

    public Duplicate(String constraint, Throwable cause) {
      super(cause);
      this.constraint = constraint;
    }
  }

  /** Any other failure: nobody expected it (a bug, most likely); the cause says what happened. */
  public static final class Unexpected extends StoreException {
    public Unexpected(Throwable cause) {
      super("the store failed unexpectedly: " + cause, cause);
    }
  }
}
