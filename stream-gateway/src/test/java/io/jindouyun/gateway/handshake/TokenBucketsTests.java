package io.jindouyun.gateway.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketsTests {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aBurstUpToCapacityPassesThenTheCallerWaitsForARefill() {
    TokenBuckets buckets = new TokenBuckets(2, SECOND, 10);
    assertThat(buckets.tryAcquire("u", 0)).isZero();
    assertThat(buckets.tryAcquire("u", 0)).isZero();
    assertThat(buckets.tryAcquire("u", 0)).isEqualTo(SECOND);
    assertThat(buckets.tryAcquire("u", SECOND / 2)).isEqualTo(SECOND / 2);
    assertThat(buckets.tryAcquire("u", SECOND)).isZero();
    assertThat(buckets.tryAcquire("other", SECOND)).isZero();
  }

  @Test
  void atTheBoundIdleFullBucketsAreEvictedAndBusyOnesKept() {
    TokenBuckets buckets = new TokenBuckets(1, SECOND, 2);
    assertThat(buckets.tryAcquire("a", 0)).isZero();
    assertThat(buckets.tryAcquire("b", 0)).isZero();
    assertThat(buckets.tryAcquire("c", SECOND / 2)).isPositive(); // a and b still refilling
    assertThat(buckets.size()).isEqualTo(2);
    assertThat(buckets.tryAcquire("c", 2 * SECOND)).isZero(); // a and b full again: evicted
    assertThat(buckets.size()).isEqualTo(1);
  }
}
