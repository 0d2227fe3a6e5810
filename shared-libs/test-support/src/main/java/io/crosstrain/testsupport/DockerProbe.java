package io.crosstrain.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** One GET against the Docker engine's API, to learn its status code, over its Unix socket or TCP (DOCKER_HOST). */
record DockerProbe(SocketAddress address) {

    static DockerProbe fromEnvironment() {
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            return new DockerProbe(UnixDomainSocketAddress.of("/var/run/docker.sock"));
        }
        URI uri = URI.create(host.strip());
        return switch (uri.getScheme()) {
            case "unix" -> new DockerProbe(UnixDomainSocketAddress.of(uri.getPath()));
            case "tcp" -> new DockerProbe(new InetSocketAddress(uri.getHost(), uri.getPort()));
            default -> throw new IllegalArgumentException("DOCKER_HOST " + host + ": only unix:// and tcp:// here");
        };
    }

    /** The HTTP status the engine answers {@code path} with. */
    int get(String path) throws IOException {
        try (SocketChannel channel = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open()) {
            channel.connect(address);
            channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64);
            while (buf.hasRemaining() && channel.read(buf) >= 0) {
                String head = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
                int eol = head.indexOf('\r');
                if (eol > 0) {
                    return Integer.parseInt(head.substring(0, eol).split(" ")[1]);
                }
            }
            throw new IOException("no status line from the Docker engine at " + address);
        }
    }
}
