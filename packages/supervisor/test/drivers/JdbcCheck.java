// What a Java application does through pgrelay with the PostgreSQL JDBC driver (pgjdbc):
// the extended protocol, server-side prepared statements after prepareThreshold executions,
// batches, portals fetched in pieces, transactions, errors with their SQLSTATE.
// Usage: java -cp postgresql.jar JdbcCheck.java HOST PORT USER PASSWORD DBNAME TABLE
import java.sql.*;
import java.util.Properties;

public class JdbcCheck {
  static void ok(String name) { System.out.println("ok " + name); }

  static void check(boolean cond, String what) {
    if (!cond) throw new AssertionError(what);
  }

  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://" + a[0] + ":" + a[1] + "/" + a[4];
    Properties p = new Properties();
    p.setProperty("user", a[2]);
    p.setProperty("password", a[3]);
    p.setProperty("ApplicationName", "jdbc-check");
    String t = a[5];
    try (Connection c = DriverManager.getConnection(url, p)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE " + t + " (id serial PRIMARY KEY, v text, n int, at timestamptz DEFAULT now())");
      }
      ok("ddl");

      // prepareThreshold is 5: from the 5th execution on pgjdbc uses a named server-side statement
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " (v, n) VALUES (?, ?)")) {
        for (int i = 0; i < 20; i++) {
          ps.setString(1, "row " + i);
          ps.setInt(2, i);
          check(ps.executeUpdate() == 1, "insert " + i);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT v FROM " + t + " WHERE n = ?")) {
        for (int i = 0; i < 20; i++) {
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) {
            check(rs.next() && rs.getString(1).equals("row " + i), "select " + i);
          }
        }
      }
      ok("prepared statements, named after the threshold");

      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " (v, n) VALUES (?, ?)")) {
        for (int i = 100; i < 600; i++) {
          ps.setString(1, "batch " + i);
          ps.setInt(2, i);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        check(counts.length == 500, "batch size");
      }
      c.commit();
      ok("batch insert in a transaction");

      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE " + t + " SET v = 'gone' WHERE n = 0");
        c.rollback();
        try (ResultSet rs = s.executeQuery("SELECT v FROM " + t + " WHERE n = 0")) {
          check(rs.next() && rs.getString(1).equals("row 0"), "rollback");
        }
        c.commit();
      }
      ok("rollback");

      try (Statement s = c.createStatement()) {
        s.setFetchSize(50); // a portal read 50 rows at a time (Execute with a row limit)
        int rows = 0;
        try (ResultSet rs = s.executeQuery("SELECT id, at FROM " + t + " ORDER BY id")) {
          while (rs.next()) {
            rows++;
            check(rs.getTimestamp(2) != null, "timestamp");
          }
        }
        check(rows == 520, "fetched " + rows);
        c.commit();
      }
      ok("portal fetched in pieces");

      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT 1/0");
        throw new AssertionError("no error");
      } catch (SQLException e) {
        check("22012".equals(e.getSQLState()), "sqlstate " + e.getSQLState());
      }
      c.rollback();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 7")) {
        check(rs.next() && rs.getInt(1) == 7, "after error");
      }
      c.commit();
      ok("error with its SQLSTATE, then the session goes on");

      c.setAutoCommit(true);
      c.setReadOnly(true);
      // may be balanced to the standby: count rows committed well before
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + t + " WHERE n < 20")) {
        check(rs.next() && rs.getInt(1) == 20, "read-only count");
      }
      c.setReadOnly(false);
      ok("read-only");

      DatabaseMetaData md = c.getMetaData();
      try (ResultSet rs = md.getColumns(null, "public", t, null)) {
        int cols = 0;
        while (rs.next()) cols++;
        check(cols == 4, "metadata columns " + cols);
      }
      ok("metadata");
    }
    System.out.println("all ok");
  }
}
