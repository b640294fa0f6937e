package io.herald.db;

/** A domain failure of the store: the request was understood but cannot be carried out. */
public class StoreException extends RuntimeException {

  public StoreException(String message) {
    super(message, null, false, false);
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

  /** Compare-and-set failed: the caller based its change on an older head. */
  public static final class VersionConflict extends StoreException {
    public final long head;

    public VersionConflict(String namespace, long expected, long head) {
      super("namespace '" + namespace + "' is at version " + head + ", not " + expected);
      this.head = head;
    }
  }
}
