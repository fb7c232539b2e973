using System.Reflection;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;
using Serverless.Platform.Admin;

namespace Serverless.LocalHost;

/// <summary>
/// An HTTP function as its own declaration states it: <c>[Function(name)]</c> on a method with an
/// <c>[HttpTrigger(level, methods…, Route = …)]</c> parameter.
/// </summary>
public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string>? Methods, AuthorizationLevel Level, MethodInfo Method)
{
    /// <summary>Every HTTP function declared in <paramref name="types"/>; one the local host could not call is an error here, not at its first request.</summary>
    public static IReadOnlyList<HttpFunction> In(IEnumerable<Type> types)
    {
        var functions = new List<HttpFunction>();
        foreach (var method in types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function
                || method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null) is not { } trigger)
            {
                continue;
            }
            var http = new HttpFunction(function.Name, trigger.Route ?? function.Name, trigger.Methods, trigger.AuthLevel, method);
            http.Validate();
            functions.Add(http);
        }
        return functions;
    }

    private void Validate()
    {
        var route = RoutePatternFactory.Parse(Route);
        foreach (var parameter in Method.GetParameters())
        {
            var type = parameter.ParameterType;
            var bindable = type == typeof(HttpRequest) || type == typeof(CancellationToken)
                || (type == typeof(string) && route.GetParameter(parameter.Name!) is not null);
            if (!bindable)
            {
                throw new InvalidOperationException($"function {Name}: the local host binds HttpRequest, CancellationToken and route values ({Route}), not parameter '{parameter.Name}' of type {type.Name}");
            }
        }
        if (Method.ReturnType != typeof(IResult) && Method.ReturnType != typeof(Task<IResult>))
        {
            throw new InvalidOperationException($"function {Name} must return IResult or Task<IResult>, not {Method.ReturnType.Name}");
        }
    }

    /// <summary>
    /// Calls the function as the worker does: a new instance of its class from the request's services, the
    /// request, its route values by parameter name, and the request's cancellation.
    /// </summary>
    public async Task InvokeAsync(HttpContext http)
    {
        // The Functions host checks a function key here; the local host's one function key is ADMIN_API_KEY.
        if (Level != AuthorizationLevel.Anonymous && AdminKey.Refusal(http.Request) is { } refusal)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        var instance = ActivatorUtilities.CreateInstance(http.RequestServices, Method.DeclaringType!);
        var arguments = Method.GetParameters().Select(parameter => parameter.ParameterType switch
        {
            var t when t == typeof(HttpRequest) => http.Request,
            var t when t == typeof(CancellationToken) => http.RequestAborted,
            _ => (object?)http.Request.RouteValues[parameter.Name!]?.ToString(),
        }).ToArray();
        var returned = Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        var result = returned is Task<IResult> pending ? await pending : (IResult)returned!;
        await result.ExecuteAsync(http);
    }
}

public static class HttpFunctionEndpoints
{
    /// <summary>The dev portal answers at <c>/portal/</c> too, without the route prefix, as it always has locally.</summary>
    public const string PortalFunction = "portal";

    /// <summary>Maps every HTTP function of <paramref name="functions"/> (<see cref="MapHttpFunctions(IEndpointRouteBuilder, IEnumerable{Type})"/>).</summary>
    public static IReadOnlyList<HttpFunction> MapHttpFunctions(this IEndpointRouteBuilder app, Assembly functions) =>
        app.MapHttpFunctions(functions.GetExportedTypes());

    /// <summary>
    /// Each HTTP function at <c>/{routePrefix}/{route}</c> (host.json's prefix, <c>api</c>) for its methods, as the
    /// Functions host serves it. Functions of other triggers get no route: only their trigger runs them.
    /// </summary>
    public static IReadOnlyList<HttpFunction> MapHttpFunctions(this IEndpointRouteBuilder app, IEnumerable<Type> types)
    {
        var prefix = HostJson.Default.RoutePrefix;
        var functions = HttpFunction.In(types);
        foreach (var function in functions)
        {
            Map(app, $"/{prefix}/{function.Route}", function);
            if (function.Name == PortalFunction)
            {
                Map(app, "/" + function.Route, function);
            }
        }
        return functions;
    }

    private static void Map(IEndpointRouteBuilder app, string pattern, HttpFunction function)
    {
        var endpoint = function.Methods is { Count: > 0 } methods
            ? app.MapMethods(pattern, methods.Select(m => m.ToUpperInvariant()), function.InvokeAsync)
            : app.Map(pattern, function.InvokeAsync);
        endpoint.WithDisplayName(function.Name);
    }
}
