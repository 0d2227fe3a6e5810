package io.crosstrain.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;

/** {@code ./crosstrain export <jobId> DIR}: a trained model as safetensors, its config and vocabulary. */
@Command(name = "export", description = "Write a job's model (model.safetensors, config.json, vocab.json) to DIR.")
final class ExportCommand implements Callable<Integer> {

    @Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Parameters(index = "0", description = "the job's id")
    UUID jobId;

    @Parameters(index = "1", description = "directory to write the files to (created if missing)")
    Path dir;

    @Option(names = "--checkpoint", description = "the step of an older checkpoint (default: the latest)")
    Long checkpoint;

    @Override
    public Integer call() throws IOException {
        ApiClient api = gateway.client(JsonMapper.builder().build());
        String path = "/api/v1/jobs/" + jobId + "/model" + (checkpoint == null ? "" : "?checkpoint=" + checkpoint);
        ApiClient.Download zip = api.download(path);
        if (zip.status() != 200) {
            throw new IllegalStateException("export of job " + jobId + " failed with HTTP " + zip.status() + ": "
                    + new String(zip.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        Files.createDirectories(dir);
        Path root = dir.toAbsolutePath().normalize();
        int files = 0;
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(zip.body()))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path target = root.resolve(e.getName()).normalize();
                if (!target.startsWith(root) || e.isDirectory()) {
                    continue; // nothing outside DIR, whatever the archive says
                }
                copy(in, target);
                System.out.println("  " + target + "  (" + Files.size(target) + " bytes)");
                files++;
            }
        }
        System.out.println("exported job " + jobId + ": " + files + " files in " + root);
        return 0;
    }

    private static void copy(InputStream in, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
