package io.herald.hub;

/** What readiness needs to know of the cluster; a single hub is always "joined", alone. */
interface ClusterStatus {

  ClusterStatus SINGLE = new ClusterStatus() {
    @Override
    public boolean joined() {
      return true;
    }

    @Override
    public int members() {
      return 1;
    }
  };

  boolean joined();

  int members();
}
