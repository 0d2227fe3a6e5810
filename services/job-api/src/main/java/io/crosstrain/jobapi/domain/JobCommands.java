package io.crosstrain.jobapi.domain;

import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.jobapi.persistence.JobRepository;
import io.crosstrain.web.RequestRejectedException;

/**
 * Job commands from Kafka, held to the same rules as REST: a user submits only for its own tenant (and only its own
 * uploads) and cancels only its own jobs; an admin acts on any tenant; {@code fail} and {@code suspend} come from
 * the scheduler alone. Anything else is rejected with the reason, which the listener publishes.
 */
@Service
public class JobCommands {

    static final String SCHEDULER = CallerScope.service("scheduler").principal();

    private final JobService jobs;
    private final JobRepository repository;

    JobCommands(JobService jobs, JobRepository repository) {
        this.jobs = jobs;
        this.repository = repository;
    }

    @Transactional
    public JobService.Outcome apply(JobCommand command, CallerScope sender) {
        String type = command.type() == null ? "" : command.type();
        switch (type) {
            case JobCommand.SUBMIT, JobCommand.CANCEL -> {
                if (sender.role() == CallerScope.Role.SERVICE) {
                    throw RequestRejectedException.field(403, "type", sender.principal() + " may not " + type + " jobs; users and admins "
                            + "may");
                }
                Caller caller = new Caller(sender.tenant(), sender.admin());
                Optional<Job> existing = command.jobId() == null ? Optional.empty()
                        : repository.find(command.jobId());
                if (existing.isPresent() && !caller.mayAccess(existing.get())) {
                    // as REST answers 404 for another tenant's job: its existence is not confirmed
                    throw RequestRejectedException.field(404, "jobId", "there is no job " + command.jobId() + " of tenant "
                            + caller.tenant());
                }
                if (type.equals(JobCommand.CANCEL)) {
                    if (command.jobId() == null) {
                        throw RequestRejectedException.field(400, "jobId", "a cancel command names the job to cancel");
                    }
                    return jobs.applyCommand(command);
                }
                if (existing.isPresent()) {
                    return JobService.Outcome.DUPLICATE; // a client retrying its submit
                }
                if (command.spec() == null) {
                    throw RequestRejectedException.field(400, "spec", "a submit command carries the job spec");
                }
                return jobs.applyCommand(new JobCommand(type, command.jobId(),
                        JobService.owned(command.spec(), caller), command.reason()));
            }
            case JobCommand.FAIL, JobCommand.SUSPEND -> {
                if (!SCHEDULER.equals(sender.principal())) {
                    throw RequestRejectedException.field(403, "type", "only the scheduler may " + type + " a job, not "
                            + sender.principal());
                }
                return jobs.applyCommand(command);
            }
            default -> throw RequestRejectedException.field(400, "type", "must be submit or cancel (fail and suspend are the scheduler's)"
                    + (type.isEmpty() ? "" : ", not '" + type + "'"));
        }
    }
}
