package io.herald.db;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Connecting to PostgreSQL. {@link #migrate} is blocking (JDBC, Flyway) and runs once at start on a
 * worker thread; everything after that goes through the reactive {@link Pool}.
 */
public final class Database {

  private static final String DUPLICATE_DATABASE = "42P04";
  private static final String UNIQUE_VIOLATION = "23505";

  private Database() {
  }

  /** Parses a {@code postgresql://user:password@host:port/database} URL. */
  public static PgConnectOptions connectOptions(String url) {
    return PgConnectOptions.fromUri(url);
  }

  /** A pool of reactive connections; prepared statements are cached per connection. */
  public static Pool pool(Vertx vertx, String url, int maxSize) {
    PgConnectOptions connect = connectOptions(url)
        .setCachePreparedStatements(true)
        .setPipeliningLimit(16);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(maxSize).setMaxWaitQueueSize(10_000).setShared(false))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  /**
   * Blocking: creates the database when it does not exist yet, then applies pending Flyway
   * migrations. Safe to run from several hub processes at once (Flyway takes an advisory lock).
   *
   * @return the number of migrations applied
   */
  public static int migrate(String url) {
    PgConnectOptions o = connectOptions(url);
    createDatabaseIfMissing(o);
    return Flyway.configure()
        .dataSource(jdbcUrl(o, o.getDatabase()), o.getUser(), o.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate()
        .migrationsExecuted;
  }

  private static void createDatabaseIfMissing(PgConnectOptions o) {
    try (Connection c = DriverManager.getConnection(jdbcUrl(o, "postgres"), jdbcProperties(o))) {
      try (PreparedStatement st = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
        st.setString(1, o.getDatabase());
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            return;
          }
        }
      }
      try (var st = c.createStatement()) {
        st.execute("CREATE DATABASE " + quoteIdentifier(o.getDatabase()));
      } catch (SQLException e) {
        // Another hub created it between our check and our CREATE: that is what we wanted.
        if (!DUPLICATE_DATABASE.equals(e.getSQLState()) && !UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw e;
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + o.getDatabase() + ": " + e.getMessage(), e);
    }
  }

  /** Blocking: drops a database, closing its connections first. For tests and tooling. */
  public static void dropDatabase(String url) {
    PgConnectOptions o = connectOptions(url);
    try (Connection c = DriverManager.getConnection(jdbcUrl(o, "postgres"), jdbcProperties(o));
         var st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + quoteIdentifier(o.getDatabase()) + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop database " + o.getDatabase() + ": " + e.getMessage(), e);
    }
  }

  static String jdbcUrl(PgConnectOptions o, String database) {
    return "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + database;
  }

  private static Properties jdbcProperties(PgConnectOptions o) {
    Properties p = new Properties();
    p.setProperty("user", o.getUser());
    if (o.getPassword() != null) {
      p.setProperty("password", o.getPassword());
    }
    return p;
  }

  private static String quoteIdentifier(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }
}
