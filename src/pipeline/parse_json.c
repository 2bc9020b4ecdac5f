/* The pipeline JSON form: [{"op": NAME, "params": {NAME: VALUE, ...}}, ...].
 * Values go through the same validation as the text form, so both forms of a
 * pipeline give the same steps and the same canonical text. Errors name the
 * step (1-based). */
#include <stdlib.h>
#include <string.h>

#include "pipeline_impl.h"
#include "pp_config.h"

#if PP_HAVE_JSON
#include <jansson.h>

static int set_value(const pp_filter_def *f, const pp_param_def *pd, pp_param_value *dst,
                     json_t *val, const pp__where *w, pp_err *err)
{
    char shown[64];
    if (json_is_integer(val)) {
        snprintf(shown, sizeof shown, "%lld", (long long)json_integer_value(val));
        return pp__param_set_number(f, pd, dst, (double)json_integer_value(val), true, shown, w,
                                    err);
    }
    if (json_is_real(val)) {
        snprintf(shown, sizeof shown, "%.15g", json_real_value(val));
        return pp__param_set_number(f, pd, dst, json_real_value(val), false, shown, w, err);
    }
    if (json_is_boolean(val))
        return pp__param_set_word(f, pd, dst, json_is_true(val) ? "true" : "false", w, err);
    if (json_is_string(val))
        return pp__param_set_word(f, pd, dst, json_string_value(val), w, err);
    if (json_is_array(val)) {
        size_t n = json_array_size(val);
        if (n > PP_MAX_LIST)
            return pp_err_set(err, PP_EPARSE, "%s: %s%s has more than %d numbers", f->name,
                              pd->name, w->text, PP_MAX_LIST);
        double *vals = pp_malloc_array(n ? n : 1, sizeof *vals, err);
        if (!vals)
            return PP_ENOMEM;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *e = json_array_get(val, i);
            if (!json_is_number(e))
                rc = pp_err_set(err, PP_EPARSE, "%s: %s%s: element %zu is not a number",
                                f->name, pd->name, w->text, i + 1);
            else
                vals[i] = json_number_value(e);
        }
        if (rc == 0)
            rc = pp__param_set_list(f, pd, dst, vals, n, w, err);
        free(vals);
        return rc;
    }
    return pp_err_set(err, PP_EPARSE, "%s: %s%s has an unsupported JSON type", f->name, pd->name,
                      w->text);
}

static int parse_params(const pp_filter_def *f, pp__step *step, json_t *params, size_t index,
                        pp_err *err)
{
    const char *key;
    json_t *val;
    pp__where w;
    snprintf(w.text, sizeof w.text, " in step %zu", index + 1);
    json_object_foreach(params, key, val)
    {
        int k = pp_filter_param_index(f, key);
        if (k < 0)
            return pp__param_unknown(f, key, &w, err);
        int rc = set_value(f, &f->params[k], &step->v[k], val, &w, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_step(json_t *item, size_t index, pp_pipeline *p, pp_err *err)
{
    if (!json_is_object(item))
        return pp_err_set(err, PP_EPARSE, "step %zu is not an object {\"op\": ...}", index + 1);
    json_t *op = json_object_get(item, "op");
    if (!json_is_string(op))
        return pp_err_set(err, PP_EPARSE, "step %zu has no \"op\" string", index + 1);
    const char *name = json_string_value(op);
    const pp_filter_def *f = pp_filter_find(name);
    if (!f) {
        const char *near = pp_suggest(name, pp__filter_names());
        if (near)
            return pp_err_set(err, PP_EPARSE, "unknown filter \"%s\" in step %zu; did you mean "
                                              "\"%s\"?",
                              name, index + 1, near);
        return pp_err_set(err, PP_EPARSE, "unknown filter \"%s\" in step %zu", name, index + 1);
    }
    const char *key;
    json_t *val;
    json_object_foreach(item, key, val)
    {
        if (strcmp(key, "op") != 0 && strcmp(key, "params") != 0)
            return pp_err_set(err, PP_EPARSE, "step %zu: unexpected key \"%s\" (use \"params\")",
                              index + 1, key);
    }
    pp__step *step = pp__pipeline_add(p, f, err);
    if (!step)
        return PP_ENOMEM;
    json_t *params = json_object_get(item, "params");
    if (params && !json_is_object(params))
        return pp_err_set(err, PP_EPARSE, "step %zu: \"params\" must be an object", index + 1);
    int rc = params ? parse_params(f, step, params, index, err) : 0;
    if (rc == 0)
        pp__step_defaults(step);
    return rc;
}

pp_pipeline *pp_pipeline_parse_json(const char *text, pp_err *err)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) {
        pp_err_set(err, PP_EPARSE, "JSON pipeline: %s at line %d, column %d", je.text, je.line,
                   je.column);
        return NULL;
    }
    pp_pipeline *p = NULL;
    if (!json_is_array(root)) {
        pp_err_set(err, PP_EPARSE, "JSON pipeline must be an array of steps");
        goto done;
    }
    p = pp_calloc(1, sizeof *p, err);
    if (!p)
        goto done;
    for (size_t i = 0; i < json_array_size(root); i++) {
        if (parse_step(json_array_get(root, i), i, p, err) < 0) {
            pp_pipeline_free(p);
            p = NULL;
            break;
        }
    }
done:
    json_decref(root);
    return p;
}

#else

pp_pipeline *pp_pipeline_parse_json(const char *text, pp_err *err)
{
    (void)text;
    pp_err_set(err, PP_ENOTBUILT, "JSON pipelines need jansson, which this pixpipe lacks");
    return NULL;
}

#endif
