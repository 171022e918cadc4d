// Docker's --change instructions of `import` and `commit`: Dockerfile instructions (CMD,
// ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR) that
// edit an image config's "config" object, read as docker's BuildFromConfig reads them: the changes
// joined by newlines are one Dockerfile (comments, continuations), JSON and shell forms, variables
// expanded from the config's Env (changes_lexer.h). Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/image_spec.h"

namespace berth::image::store {

// ApplyChanges returns config with changes applied in order. As in docker: a shell-form CMD or
// ENTRYPOINT runs through config.shell (default /bin/sh -c); an ENTRYPOINT resets Cmd unless a
// CMD with arguments came before it in the same changes; ENV replaces a variable of the same name
// in place; WORKDIR is resolved against the working directory before it. No changes return config
// as it is. Errors are kInvalidArgument and name the change with docker's reason:
// `apply change "RUN make": RUN is not a valid change command`,
// `apply change "USER": USER requires exactly one argument`.
Result<oci::ContainerConfig> ApplyChanges(oci::ContainerConfig config,
                                          const std::vector<std::string>& changes);

}  // namespace berth::image::store
